"""No page, admin page or export shows a phone number whole to anyone who may not see it.

Each role opens every page that could show a number, and the whole mobile numbers found must be
exactly the ones the role may see: none is a leak, and a missing one means the scan saw nothing.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in
from audit.models import AuditEvent
from registry.models import Account, Staff
from registry.tests.exports import export, unmasked_mobiles
from registry.tests.factories import StaffFactory, UserFactory

OURS = "13800138000"  # the filer's department
THEIRS = "13900139000"  # the outsider's department

ADMIN_PERMISSIONS = [
    "view_account",
    "change_account",
    "add_account",
    "view_staff",
    "change_staff",
    "add_staff",
    # Spreadsheets are permissions of their own, never implied by add or view.
    "import_account",
    "export_account",
    "import_staff",
    "export_staff",
]


def _admin_worker(username):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="registry", codename__in=ADMIN_PERMISSIONS
        ),
        *Permission.objects.filter(content_type__app_label="approvals", codename="view_filing"),
    )
    return user


@pytest.fixture
def clerk(db):
    """Works on the register in the admin, without view_all and filing for no department."""
    return _admin_worker("clerk")


@pytest.fixture
def desk_filer(department):
    """A filer of the department who also works in the admin."""
    user = _admin_worker("desk_filer")
    department.filers.add(user)
    return user


@pytest.fixture
def register(department, other_department):
    """An editable account and a staff member in each department, each with its own number."""
    ours = filing_in(Filing.State.DRAFT, department=department, owner_phone=OURS)
    theirs = filing_in(Filing.State.SUBMITTED, department=other_department, owner_phone=THEIRS)
    return {
        "ours": ours.account,
        "theirs": theirs.account,
        "staff": StaffFactory(department=department, phone=OURS),
        "filing": ours,
    }


def _pages(register):
    ours, theirs = register["ours"].pk, register["theirs"].pk
    return {
        "dashboard": reverse("approvals:dashboard"),
        "list": reverse("approvals:account_list"),
        "queue": reverse("approvals:review_queue"),
        "account": reverse("approvals:account_detail", args=[ours]),
        "edit": reverse("approvals:account_edit", args=[ours]),
        "admin accounts": reverse("admin:registry_account_changelist"),
        "admin account": reverse("admin:registry_account_change", args=[ours]),
        "admin their account": reverse("admin:registry_account_change", args=[theirs]),
        "admin staff": reverse("admin:registry_staff_changelist"),
        "admin staff member": reverse("admin:registry_staff_change", args=[register["staff"].pk]),
        "admin filings": reverse("admin:approvals_filing_changelist"),
        "admin filing": reverse("admin:approvals_filing_change", args=[register["filing"].pk]),
    }


# Where each role sees whole numbers; every other page shows none.
SEEN = {
    "filer": {"account": {OURS}, "edit": {OURS}},
    "outsider": {},
    "reviewer": {"account": {OURS}},  # a reviewer does not edit, so has no edit page
    "admin_user": {
        "account": {OURS},
        "edit": {OURS},
        "admin account": {OURS},
        "admin their account": {THEIRS},
        "admin staff": {OURS},
        "admin staff member": {OURS},
    },
    "clerk": {},
    "desk_filer": {
        "account": {OURS},
        "edit": {OURS},
        "admin account": {OURS},
        "admin staff": {OURS},
        "admin staff member": {OURS},
    },
}


@pytest.mark.parametrize("role", SEEN)
def test_it_shows_whole_numbers_only_to_those_who_may_see_them(request, client_for, register, role):
    client = client_for(request.getfixturevalue(role))
    for page, url in _pages(register).items():
        response = client.get(url)
        expected = SEEN[role].get(page, set())
        if expected:
            assert response.status_code == 200, (role, page)
        assert unmasked_mobiles(response) == expected, (role, page)


@pytest.mark.parametrize("role", ["clerk", "desk_filer"])
def test_it_shows_the_admin_masked_numbers_instead(client_for, request, register, role):
    StaffFactory(department=register["theirs"].department, phone=THEIRS)
    client = client_for(request.getfixturevalue(role))
    for url in (
        reverse("admin:registry_account_change", args=[register["theirs"].pk]),
        reverse("admin:registry_staff_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "139****9000" in response.content.decode()


@pytest.mark.parametrize("model", [Account, Staff])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("role", ["admin_user", "clerk", "desk_filer"])
def test_it_exports_every_number_masked_by_default(
    client_for, request, register, model, file_format, role
):
    StaffFactory(department=register["theirs"].department, phone=THEIRS)
    response = export(client_for(request.getfixturevalue(role)), model, file_format)
    assert response["Content-Disposition"].startswith("attachment")
    assert unmasked_mobiles(response) == set()


@pytest.mark.parametrize("model", [Account, Staff])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_it_exports_whole_numbers_only_with_the_permission_and_a_reason(
    client_for, admin_user, clerk, register, model, file_format
):
    StaffFactory(department=register["theirs"].department, phone=THEIRS)
    asked = {"unmask_phones": "on", "reason": "向上级报送联系人"}
    refused = export(client_for(clerk), model, file_format, **asked)
    assert "Content-Disposition" not in refused
    assert unmasked_mobiles(refused) == set()
    allowed = export(client_for(admin_user), model, file_format, **asked)
    assert unmasked_mobiles(allowed) == {OURS, THEIRS}
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED)
    assert event.user == admin_user
    assert event.detail.endswith(f"2 rows, {file_format}: 向上级报送联系人")


@pytest.mark.parametrize("role", ["filer", "reviewer"])
def test_it_records_each_view_of_the_account_page(client_for, request, register, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    url = reverse("approvals:account_detail", args=[register["ours"].pk])
    client.get(url)
    client.get(url)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_VIEWED)
    assert [(e.user, e.object_type, e.object_id, e.detail) for e in events] == [
        (user, "registry.Account", str(register["ours"].pk), url)
    ] * 2


def test_it_records_no_view_for_the_outsider(client_for, outsider, register):
    url = reverse("approvals:account_detail", args=[register["ours"].pk])
    assert client_for(outsider).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_VIEWED).exists()


def test_it_records_the_admin_account_page_shown_whole(client_for, admin_user, register):
    client_for(admin_user).get(reverse("admin:registry_account_change", args=[register["ours"].pk]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_DATA_VIEWED)
    assert event.object_id == str(register["ours"].pk)
