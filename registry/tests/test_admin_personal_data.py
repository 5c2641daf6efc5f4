"""The admin masks staff phone numbers, exports them unmasked only with the permission and a
reason, and records unmasked views, unmasked exports and confirmed imports."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEvent
from registry import personal_data
from registry.admin import NOTHING_EXPORTED
from registry.models import Department, Staff
from registry.tests.exports import export, exported_rows, import_file, unmasked_mobiles
from registry.tests.factories import StaffFactory, UserFactory

Action = AuditEvent.Action
OURS, THEIRS = "13800138000", "13900139000"


@pytest.fixture
def clerk(db):
    """Works on the roster in the admin, without view_all and filing for no department."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="registry",
            codename__in=[
                "view_staff",
                "change_staff",
                "add_staff",
                "view_department",
                "import_staff",
                "export_staff",
            ],
        )
    )
    return user


@pytest.fixture
def roster(department, other_department):
    return [
        StaffFactory(department=department, phone=OURS),
        StaffFactory(department=other_department, phone=THEIRS),
    ]


def _events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_it_exports_masked_by_default_and_records_nothing(client_for, admin_user, roster):
    response = export(client_for(admin_user), Staff)
    assert response.status_code == 200
    phones = [row[4] for row in exported_rows(response)]
    assert phones == ["phone", "138****8000", "139****9000"]
    assert not _events(Action.PERSONAL_DATA_EXPORTED)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_it_exports_unmasked_with_the_permission_and_records_the_reason(
    client_for, admin_user, roster, file_format
):
    response = export(
        client_for(admin_user), Staff, file_format, unmask_phones="on", reason="核对通讯录"
    )
    assert unmasked_mobiles(response) == {OURS, THEIRS}
    event = _events(Action.PERSONAL_DATA_EXPORTED)[0]
    assert event.user == admin_user
    assert event.detail == f"registry.Staff, 2 rows, {file_format}: 核对通讯录"


def test_it_refuses_an_unmasked_export_without_a_reason(client_for, admin_user, roster):
    response = export(client_for(admin_user), Staff, unmask_phones="on", reason="  ")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors["reason"] == [str(personal_data.REASON_REQUIRED)]
    assert not _events(Action.PERSONAL_DATA_EXPORTED)


def test_it_refuses_an_unmasked_export_to_a_user_without_the_permission(client_for, clerk, roster):
    response = export(client_for(clerk), Staff, unmask_phones="on", reason="核对通讯录")
    assert response["Content-Type"].startswith("text/html")
    assert unmasked_mobiles(response) == set()
    assert response.context["form"].errors["unmask_phones"] == [
        str(personal_data.EXPORT_NOT_PERMITTED)
    ]
    assert [str(m) for m in response.context["messages"]] == [str(NOTHING_EXPORTED)]
    assert not _events(Action.PERSONAL_DATA_EXPORTED)
    assert _events(Action.ACCESS_DENIED)[0].detail == "unmasked export of registry.Staff"


def test_it_lets_a_user_granted_the_permission_export_unmasked(client_for, clerk, roster):
    clerk.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    response = export(client_for(clerk), Staff, unmask_phones="on", reason="报送通讯录")
    assert unmasked_mobiles(response) == {OURS, THEIRS}
    assert len(_events(Action.PERSONAL_DATA_EXPORTED)) == 1


def test_it_masks_the_list_and_the_change_page_for_a_clerk(client_for, clerk, roster):
    client = client_for(clerk)
    listing = client.get(reverse("admin:registry_staff_changelist"))
    change = client.get(reverse("admin:registry_staff_change", args=[roster[0].pk]))
    for response in (listing, change):
        assert response.status_code == 200
        assert unmasked_mobiles(response) == set()
        assert "138****8000" in response.content.decode()
    assert not _events(Action.PERSONAL_DATA_VIEWED)


def test_it_keeps_the_stored_number_when_a_clerk_saves_the_masked_page(client_for, clerk, roster):
    staff = roster[0]
    response = client_for(clerk).post(
        reverse("admin:registry_staff_change", args=[staff.pk]),
        {
            "staff_number": staff.staff_number,
            "name": "改名后",
            "department": staff.department_id,
            "post": "",
            "phone": "138****8000",  # ignored: the field is not on the clerk's form
            "status": "active",
            "left_on": "",
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.name, staff.phone) == ("改名后", OURS)


def test_it_does_not_search_by_number_for_a_clerk(client_for, clerk, admin_user, roster):
    url = reverse("admin:registry_staff_changelist") + f"?q={OURS}"
    assert client_for(clerk).get(url).context["cl"].result_count == 0
    assert client_for(admin_user).get(url).context["cl"].result_count == 1


def test_it_records_a_list_and_a_change_page_shown_whole(client_for, admin_user, roster):
    client = client_for(admin_user)
    client.get(reverse("admin:registry_staff_changelist"))
    client.get(reverse("admin:registry_staff_change", args=[roster[0].pk]))
    listed, opened = sorted(_events(Action.PERSONAL_DATA_VIEWED), key=lambda e: e.pk)
    assert (listed.object_id, "2 registry.Staff rows" in listed.detail) == ("", True)
    assert (listed.object_id, opened.object_type, opened.object_id) == (
        "",
        "registry.Staff",
        str(roster[0].pk),
    )


def test_it_records_a_confirmed_import_with_the_file_and_the_counts(
    client_for, admin_user, department
):
    StaffFactory(staff_number="S1", name="张伟", department=department, phone=OURS)
    content = (
        "staff_number,name,department,post,phone,status,left_on\n"
        f"S1,张伟,{department.code},,{OURS},active,\n"
        f"S2,李娜,{department.code},,{THEIRS},active,\n"
    )
    client = client_for(admin_user)
    import_file(client, Staff, content, confirm=False)
    assert not _events(Action.IMPORTED)  # the preview is not an import
    response = import_file(client, Staff, content, name="教职工.csv")
    assert response.status_code == 302
    event = _events(Action.IMPORTED)[0]
    assert (event.user, event.outcome) == (admin_user, AuditEvent.Outcome.SUCCESS)
    assert event.detail == "registry.Staff from 教职工.csv: 1 new, 0 updated, 1 skipped"


def test_it_records_an_import_of_departments_too(client_for, admin_user, db):
    import_file(client_for(admin_user), Department, "code,name,kind\nD900,新学院,college\n")
    assert _events(Action.IMPORTED)[0].detail.startswith("registry.Department from roster.csv")


def test_it_takes_back_a_masked_export_without_changing_the_numbers(client_for, admin_user, roster):
    client = client_for(admin_user)
    rows = exported_rows(export(client, Staff))
    rows[1][1] = "新名字"
    content = "\n".join(",".join(row) for row in rows) + "\n"
    assert import_file(client, Staff, content).status_code == 302
    assert list(Staff.objects.order_by("pk").values_list("name", "phone")) == [
        ("新名字", OURS),
        (roster[1].name, THEIRS),
    ]


def test_it_masks_the_import_preview_for_a_clerk(client_for, clerk, roster):
    content = (
        "staff_number,name,department,post,phone,status,left_on\n"
        f"{roster[0].staff_number},改名,{roster[0].department.code},,{THEIRS},active,\n"
    )
    response = import_file(client_for(clerk), Staff, content, confirm=False)
    assert response.context["result"].rows  # the preview, with the row's old and new values
    assert unmasked_mobiles(response) == set()
    assert "<span>****</span>" in response.content.decode()


def test_it_masks_the_read_only_page_of_a_user_who_may_only_view(client_for, roster):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_staff"))
    response = client_for(viewer).get(reverse("admin:registry_staff_change", args=[roster[0].pk]))
    assert response.status_code == 200
    assert unmasked_mobiles(response) == set()
    assert "138****8000" in response.content.decode()
