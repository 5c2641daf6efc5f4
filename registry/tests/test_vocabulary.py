"""Every heading of the offices' vocabulary is read as its field, and the headings that depend on
their values (类型, 服务类型) are read only when the values fit."""

import pytest

from registry.office_forms import NOT_KEPT, read_office_form
from registry.sheets import Sheet
from registry.vocabulary import HEADINGS

# A value each field accepts, for the one row under the heading.
SAMPLES = {
    "name": "教职工工作群",
    "platform": "QQ群",
    "account_type": "订阅号",
    "number": "612345001",
    "owner_name": "张伟",
    "administrator_name": "李娜",
    "owner_phone": "13800138000",
    "owner_post": "办公室主任",
    "purpose": "布置工作",
    "member_count": "35",
    "created_on": "2020-06-01",
    "last_active_on": "2026-11-01",
    "task_end_on": "2027-01-01",
    "department": "会计学院",
    "category": "工作群",
    "real_name_admission": "是",
    "security_contact_name": "王芳",
    "disposition": "保留",
    "rules_acknowledged": "是",
}


def _read(headers, row):
    return read_office_form([Sheet([headers, row], "xlsx", "Sheet1")])


@pytest.mark.parametrize("heading", sorted(HEADINGS))
def test_it_reads_the_heading_as_its_field(heading):
    fields = HEADINGS[heading].fields
    expected = fields[0] if fields else ""
    headers, row = [heading], [SAMPLES.get(expected, "不涉及")]
    if expected != "name":
        headers, row = [*headers, "名称"], [*row, SAMPLES["name"]]
    if expected == "administrator_name":  # beside an owner, the other person is the administrator
        headers, row = [*headers, "群主"], [*row, SAMPLES["owner_name"]]
    table = read_office_form([Sheet([headers, row], "xlsx", "Sheet1")])
    [column] = [c for c in table.columns if c.heading == heading]
    assert column.field == expected, column.note
    if not expected:
        assert column.note == str(NOT_KEPT)
    else:
        assert table.rows[0][table.fields.index(expected)] in (SAMPLES[expected], "keep")


def test_it_does_not_read_a_type_of_work_groups_as_the_platform():
    table = _read(["名称", "类型"], ["教职工群", "学习群"])
    [column] = [c for c in table.columns if c.heading == "类型"]
    assert column.field == "" and "学习群" not in table.rows[0]


def test_it_reads_a_type_of_work_groups_as_the_category():
    table = _read(["QQ群名称", "类型"], ["教职工群", "工作群"])
    assert [c.field for c in table.columns if c.heading == "类型"] == ["category"]


def test_it_reads_a_type_of_platforms_as_the_platform():
    table = _read(["名称", "类型"], ["会计之声", "微信公众号"])
    assert [c.field for c in table.columns if c.heading == "类型"] == ["platform"]


@pytest.mark.parametrize("value, field", [("服务号", "account_type"), ("校内服务", "")])
def test_it_reads_a_service_type_only_of_subscription_and_service_accounts(value, field):
    table = _read(["名称", "服务类型"], ["会计之声", value])
    assert [c.field for c in table.columns if c.heading == "服务类型"] == [field]
