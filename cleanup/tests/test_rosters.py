"""Reading member lists and matching them against the staff roster (cleanup.rosters and
services.roster_upload)."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.models import Account, Staff
from registry.tests.factories import DepartmentFactory, StaffFactory

from .. import rosters, services
from ..models import MemberMatch, Roster, RosterMember
from .factories import csv_file, current_roster, days_ago, fine_account, qq_export, xlsx_file

M = MemberMatch


@pytest.fixture
def group(department):
    return fine_account(department, name="会计学院教职工群", number="612345678")


def _upload(group, filer, rows=None, *, upload=None, **kwargs):
    return services.roster_upload(
        account=group, by=filer, upload=upload or csv_file(rows), **kwargs
    )


def _marks(roster) -> dict[str, tuple]:
    return {
        m.card or m.nickname: (m.match, m.basis, m.staff_id)
        for m in RosterMember.objects.filter(roster=roster)
    }


def test_it_marks_each_kind_of_match(group, filer, department):
    department.name = "会计学院"
    department.save()
    other = DepartmentFactory(name="财税金融学院")
    mine = StaffFactory(department=department, name="张三", staff_number="20001")
    by_phone = StaffFactory(department=department, name="孙七", phone="13912345678")
    elsewhere = StaffFactory(department=other, name="李四")
    left = StaffFactory(
        department=department, name="王五", status=Staff.Status.LEFT, left_on=days_ago(90)
    )
    retired = StaffFactory(
        department=department, name="钱八", status=Staff.Status.RETIRED, left_on=days_ago(9)
    )
    roster = _upload(
        group,
        filer,
        qq_export(
            [
                ("阿三", "张三-会计学院", "10001"),
                ("七七", "13912345678", "10002"),
                ("四哥", "财税金融学院+李四", "10003"),
                ("五五", "会计学院王五", "10004"),
                ("老钱", "钱八老师", "10005"),
                ("路人", "路人甲", "10006"),
                ("工号", "20001", "10007"),
            ]
        ),
    )
    marks = _marks(roster)
    assert marks["张三-会计学院"] == (M.OWN_DEPARTMENT, "name", mine.pk)
    assert marks["13912345678"] == (M.OWN_DEPARTMENT, "phone", by_phone.pk)
    assert marks["财税金融学院+李四"] == (M.OTHER_DEPARTMENT, "name", elsewhere.pk)
    assert marks["会计学院王五"] == (M.DEPARTED, "name", left.pk)
    assert marks["钱八老师"] == (M.DEPARTED, "name", retired.pk)
    assert marks["路人甲"] == (M.NOT_STAFF, "", None)
    assert marks["20001"] == (M.OWN_DEPARTMENT, "staff_number", mine.pk)
    assert roster.group_number == "612345678"


def test_it_reads_staff_number_and_real_name_columns(group, filer, department):
    staff = StaffFactory(department=department, name="赵六", staff_number="T0099")
    roster = _upload(group, filer, [["姓名", "工号", "微信昵称"], ["", "T0099", "六六"]])
    assert _marks(roster)["六六"] == (M.OWN_DEPARTMENT, "staff_number", staff.pk)


def test_two_staff_of_the_same_name_are_ambiguous_never_a_guess(group, filer, department):
    first = StaffFactory(department=department, name="李娜")
    second = StaffFactory(department=DepartmentFactory(), name="李娜")
    roster = _upload(group, filer, qq_export([("娜娜", "李娜", "10001")]))
    member = RosterMember.objects.get(roster=roster)
    assert (member.match, member.staff_id) == (M.AMBIGUOUS, None)
    assert sorted(member.candidates) == sorted([first.pk, second.pk])


def test_a_department_in_the_card_settles_a_shared_name(group, filer, department):
    department.name = "会计学院"
    department.save()
    mine = StaffFactory(department=department, name="李娜")
    StaffFactory(department=DepartmentFactory(name="艺术设计学院"), name="李娜")
    roster = _upload(group, filer, qq_export([("娜娜", "李娜（会计学院）", "10001")]))
    assert _marks(roster)["李娜（会计学院）"] == (M.OWN_DEPARTMENT, "name", mine.pk)


def test_a_card_naming_another_department_than_the_only_namesake_is_ambiguous(
    group, filer, department
):
    DepartmentFactory(name="艺术设计学院")
    StaffFactory(department=department, name="周九")
    roster = _upload(group, filer, qq_export([("九", "艺术设计学院-周九", "10001")]))
    assert _marks(roster)["艺术设计学院-周九"][0] == M.AMBIGUOUS


def test_emoji_and_full_width_characters_in_cards(group, filer, department):
    department.name = "会计学院"
    department.save()
    staff = StaffFactory(department=department, name="张三", staff_number="20001")
    roster = _upload(
        group,
        filer,
        qq_export(
            [
                ("🌟", "🌟张三－会计学院🎉", "10001"),
                ("全角", "２０００１", "10002"),
            ]
        ),
    )
    marks = _marks(roster)
    assert marks["🌟张三－会计学院🎉"] == (M.OWN_DEPARTMENT, "name", staff.pk)
    assert marks["２０００１"] == (M.OWN_DEPARTMENT, "staff_number", staff.pk)
    assert RosterMember.objects.get(roster=roster, row=3).card == "🌟张三－会计学院🎉"


def test_it_refuses_the_file_of_another_group(group, filer):
    with pytest.raises(ValidationError) as refused:
        _upload(group, filer, qq_export([("a", "张三", "1")], group_number="699999999"))
    assert refused.value.code == "wrong_group"
    assert "699999999" in refused.value.messages[0]
    assert not Roster.objects.exists()


def test_it_lists_every_duplicate_and_nameless_row_and_stores_nothing(group, filer):
    rows = qq_export([("a", "张三", "1"), ("b", "李四", "2"), ("c", "王五", "1"), ("", "", "3")])
    with pytest.raises(ValidationError) as refused:
        _upload(group, filer, rows)
    messages = refused.value.messages
    assert messages == [
        rosters.DUPLICATE % {"row": 5, "first": 3, "who": "王五"},
        rosters.NO_NAME % {"row": 6},
    ]
    assert not Roster.objects.exists() and not RosterMember.objects.exists()


def test_it_takes_ten_thousand_members_and_refuses_more(group, filer, settings):
    members = [(f"成员{n}", f"名片{n}", str(100000 + n)) for n in range(10_000)]
    roster = _upload(group, filer, qq_export(members))
    assert roster.member_count == 10_000 == RosterMember.objects.filter(roster=roster).count()
    with pytest.raises(ValidationError) as refused:
        _upload(group, filer, qq_export([*members, ("多一个", "多一个", "1")]))
    assert refused.value.code == "too_many"
    assert current_roster(group) == roster


def test_an_upload_replaces_the_roster_and_keeps_the_previous_one(group, filer):
    first = _upload(group, filer, qq_export([("a", "张三", "1")]))
    second = _upload(group, filer, qq_export([("b", "李四", "2"), ("c", "王五", "3")]))
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert first.replaced_at is not None
    assert RosterMember.objects.filter(roster=first).count() == 1


def test_it_reads_xlsx_and_gbk_csv(group, filer):
    roster = _upload(group, filer, upload=xlsx_file(qq_export([("a", "张三", 12345.0)])))
    member = RosterMember.objects.get(roster=roster)
    assert (member.card, member.member_number) == ("张三", "12345")
    roster = _upload(group, filer, upload=csv_file(qq_export([("a", "李四", "9")]), encoding="gbk"))
    assert RosterMember.objects.get(roster=roster).card == "李四"


def test_it_reads_a_wechat_copy_separated_by_tabs(group, filer):
    text = "群昵称\t微信号\n张三\twx_1\n李四\twx_2\n".encode()
    roster = _upload(group, filer, upload=SimpleUploadedFile("wechat.txt", text))
    assert roster.member_count == 2


def test_unrecognised_columns_ask_for_a_mapping_which_then_works(group, filer):
    rows = [["编号", "称呼", "号码"], ["1", "张三", "10001"]]
    with pytest.raises(rosters.MappingNeeded) as asked:
        _upload(group, filer, rows)
    assert asked.value.columns == ["编号", "称呼", "号码"]
    roster = _upload(group, filer, rows, mapping={"card": 1, "member_number": 2}, header_row=0)
    member = RosterMember.objects.get(roster=roster)
    assert (member.card, member.member_number) == ("张三", "10001")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "wrong_kind"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "wrong_kind"),
        (b"PK\x03\x04broken", "unreadable"),
    ],
)
def test_it_refuses_what_is_not_a_roster(group, filer, content, code):
    with pytest.raises(ValidationError) as refused:
        _upload(group, filer, upload=SimpleUploadedFile("x.csv", content))
    assert refused.value.code == code


def test_only_groups_have_rosters(department, filer):
    account = fine_account(
        department, platform=Account.Platform.WEIBO, category=Account.Category.PUBLISHING
    )
    with pytest.raises(ValidationError):
        _upload(account, filer, qq_export([("a", "张三", "1")], title=False))


def test_only_the_departments_filers_upload(group, outsider, reviewer):
    from django.core.exceptions import PermissionDenied

    for user in (outsider, reviewer):
        with pytest.raises(PermissionDenied):
            _upload(group, user, qq_export([("a", "张三", "1")]))


def test_it_refuses_a_zip_bomb_and_stores_nothing(group, filer, settings):
    """Issue 14, item 1: a small file unpacking to hundreds of megabytes held a worker until its
    timeout when openpyxl read it; the form import's reader refuses it while counting."""
    settings.NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    workbook = xlsx_file(qq_export([("a", "张三", "1")])).read()
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/media/padding.bin", b"\0" * (50 << 20))
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(ValidationError) as refused:
        _upload(group, filer, upload=SimpleUploadedFile("bomb.xlsx", buffer.getvalue()))
    assert refused.value.code == "zip_bomb"
    assert not Roster.objects.exists()
