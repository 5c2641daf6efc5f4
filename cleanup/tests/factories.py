"""Accounts, staff and roster files for the clean-up tests."""

import csv
import io
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals.models import Filing
from approvals.tests.factories import filing_in
from registry.models import Account
from registry.tests.factories import AccountFactory, StaffFactory

from ..models import Roster
from ..rules import BY_CODE, Context
from ..services import live_accounts


def today() -> date:
    return timezone.localdate()


def days_ago(days: int) -> date:
    return today() - timedelta(days=days)


def fine_account(department, **fields) -> Account:
    """An account that no rule finds anything in: a kept, recently active work group with
    real-name admission, run by a member of the department's staff."""
    owner = StaffFactory(department=department, name=fields.pop("owner_name", "张伟"))
    values = {
        "department": department,
        "last_active_on": days_ago(1),
        "owner": owner,
        "owner_name": owner.name,
        "member_count": 30,
        **fields,
    }
    return AccountFactory(**values)


def hits(code: str, *, on: date | None = None, accounts=None) -> dict:
    """What one rule finds now: account id → Hit."""
    scope = accounts if accounts is not None else live_accounts()
    return BY_CODE[code].check(Context(accounts=scope, today=on or today()))


def closed(state: str = "closed", kind: str = "deregister", **account_fields):
    """An account whose filing was closed with the given kind of closure."""
    filing = filing_in(state, **account_fields)
    Filing.objects.filter(pk=filing.pk).update(closure_kind=kind)
    return filing.account


def csv_file(rows, *, name="members.csv", encoding="utf-8-sig") -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows, *, name="members.xlsx", title="Sheet1") -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


QQ_HEADER = ["序号", "成员", "群名片", "QQ号", "性别", "入群时间", "最后发言"]


def qq_export(members, *, group_number="612345678", title=True):
    """Rows as QQ group management exports them: a title line naming the group, then the
    header and one row per member (nickname, card, QQ number)."""
    rows = [[f"群成员列表（群号：{group_number}）"]] if title else []
    rows.append(QQ_HEADER)
    for n, (nickname, card, qq) in enumerate(members, start=1):
        rows.append([n, nickname, card, qq, "男", "2024/09/01 10:00", "2026/11/01 09:30"])
    return rows


def current_roster(account) -> Roster | None:
    return Roster.objects.filter(account=account, is_current=True).first()
