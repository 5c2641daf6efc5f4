"""The registration form's columns and the staff roster's (../shared/FORM.md), stated once: how
files name them, how a cell becomes a value, and where the rows of a sheet are.

Headers are matched after folding full-width forms, spaces and stars (``sheets.header_key``),
against the form's canonical names, the variants offices use, and the column labels of this
site in Chinese and English (so a file exported here always comes back). The header row is
looked for below a title block; the data stop at the signature block.

Each parser turns one cell into the model's value or raises ``ValueError`` with a translated
message (django-import-export reports it against the row and the column).
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import tablib
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Account, Staff
from .sheets import Sheet, header_key, header_keys, is_blank, refuse, unneutralise

# The msgctxt of the form's column headers (written out in full below: xgettext reads literals).

NO_HEADER = _(
    "No header row was found in the first rows of the sheet: the form's column headers "
    "(%(required)s, …) must be in one row."
)
MISSING_COLUMNS = _("The header is missing the required columns: %(columns)s.")
DUPLICATE_COLUMNS = _("Two columns of the header are both read as “%(column)s”: %(headers)s.")
NO_ROWS = _("The file has no rows below the header.")
TOO_MANY_DATA_ROWS = _("The file has %(count)s rows; at most %(limit)s are accepted in one file.")
REQUIRED = _("%(column)s is required.")
BAD_DATE = _(
    "“%(value)s” is not a date: write it as 2020-06-01, 2020/6/1, 2020.6.1 or 2020年6月1日."
)
BAD_PHONE = _("“%(value)s” is not a phone number: 11 digits for a mobile, or 0791-83800000.")
BAD_CHOICE = _("“%(value)s” is not one of: %(choices)s.")
BAD_COUNT = _("“%(value)s” is not a whole number.")
BAD_YES_NO = _("“%(value)s” is neither 是 nor 否.")
UNKNOWN_DEPARTMENT = _("No department is called “%(value)s”: use its name or code in the register.")


@dataclass(frozen=True)
class Column:
    field: str
    label: Promise  # the header this site writes (zh-hans: the form's own header)
    aliases: tuple[str, ...] = ()  # how other offices' files name it (data, not interface text)
    width: int = 12  # characters, in the laid-out xlsx
    required: bool = False

    def keys(self) -> set[str]:
        with translation.override("en"):
            english = str(self.label)
        return {
            header_key(name)
            for name in (self.field, english, str(self.label), *self.aliases)
            if name
        }


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of sheet, and the words that start the block below its rows."""

    columns: tuple[Column, ...]
    footer_markers: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # known headers that are read but never imported
    by_field: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        self.by_field.update({column.field: column for column in self.columns})

    def label(self, field_name: str) -> str:
        column = self.by_field.get(field_name) or _KNOWN.get(field_name)
        return str(column.label) if column else field_name


SEQ = Column(
    "seq", pgettext_lazy("registration form column", "No."), ("序号", "编号", "序"), width=5
)

FORM = Layout(
    columns=(
        Column(
            "department",
            pgettext_lazy("registration form column", "Owning department"),
            ("所属单位", "单位", "部门", "所属部门", "填报单位", "单位名称", "部门名称"),
            width=14,
        ),
        Column(
            "name",
            pgettext_lazy("registration form column", "Name"),
            ("名称", "群名称", "账号名称", "群名", "公众号名称", "新媒体名称", "名称(群名称)"),
            width=22,
            required=True,
        ),
        Column(
            "platform",
            pgettext_lazy("registration form column", "Platform"),
            ("平台", "平台类型", "所属平台", "类型"),
            width=11,
            required=True,
        ),
        Column(
            "account_type",
            pgettext_lazy("registration form column", "Account type"),
            ("账号类型",),
            width=9,
        ),
        Column(
            "number",
            pgettext_lazy("registration form column", "Group number or account ID"),
            ("账号或群号", "群号", "账号", "微信号", "账号ID", "群号/账号", "群号或账号", "ID"),
            width=16,
        ),
        Column(
            "naming_level",
            pgettext_lazy("registration form column", "Naming level"),
            ("命名层级", "命名", "名义"),
            width=12,
            required=True,
        ),
        Column(
            "category",
            pgettext_lazy("registration form column", "Category"),
            ("类别", "群类别", "账号类别"),
            width=11,
            required=True,
        ),
        Column(
            "purpose",
            pgettext_lazy("registration form column", "Purpose"),
            ("用途", "主要用途"),
            width=22,
        ),
        Column(
            "created_on",
            pgettext_lazy("registration form column", "Date created"),
            ("建立时间", "建立日期", "创建时间", "创建日期", "建群时间", "开通时间", "注册时间"),
            width=11,
        ),
        Column(
            "task_end_on",
            pgettext_lazy("registration form column", "Task end date"),
            ("任务结束日期", "任务结束时间", "结束日期"),
            width=11,
        ),
        Column(
            "owner_name",
            pgettext_lazy("registration form column", "Owner"),
            ("负责人", "群主", "群主/管理员", "负责人姓名", "群主姓名"),
            width=9,
        ),
        Column(
            "owner_post",
            pgettext_lazy("registration form column", "Post"),
            ("职务", "负责人职务"),
            width=10,
        ),
        Column(
            "owner_phone",
            pgettext_lazy("registration form column", "Phone"),
            ("联系电话", "电话", "手机", "手机号", "手机号码", "负责人电话", "联系方式"),
            width=13,
        ),
        Column(
            "administrator_name",
            pgettext_lazy("registration form column", "Administrator"),
            ("管理员", "管理者", "群管理员", "运维人员"),
            width=9,
        ),
        Column(
            "security_contact_name",
            pgettext_lazy("registration form column", "Content reviewer"),
            ("内容审核人", "审核人", "内容安全责任人", "信息审核人"),
            width=9,
        ),
        Column(
            "member_count",
            pgettext_lazy("registration form column", "Members / followers"),
            ("成员人数/粉丝数", "成员人数", "粉丝数", "人数", "群人数", "关注人数"),
            width=9,
        ),
        Column(
            "real_name_admission",
            pgettext_lazy("registration form column", "Real-name admission"),
            ("是否实名", "实名", "是否实名入群", "实名制"),
            width=7,
        ),
        Column(
            "last_active_on",
            pgettext_lazy("registration form column", "Last active on"),
            ("最近活跃日期", "最近活跃时间", "最后活跃日期", "最近更新日期"),
            width=11,
        ),
        Column(
            "disposition",
            pgettext_lazy("registration form column", "Proposed disposition"),
            ("处置意见", "处置建议", "拟处置意见"),
            width=9,
        ),
        Column(
            "merge_into",
            pgettext_lazy("registration form column", "Merge into"),
            ("整合至", "整合到"),
            width=14,
        ),
        Column(
            "disposition_reason",
            pgettext_lazy("registration form column", "Reason for the disposition"),
            ("处置理由", "处置原因", "理由"),
            width=14,
        ),
        Column(
            "remarks",
            pgettext_lazy("registration form column", "Remarks"),
            ("备注", "说明"),
            width=12,
        ),
    ),
    footer_markers=(
        "填表人",
        "填报人",
        "部门负责人",
        "单位负责人",
        "负责人(签字)",
        "填表日期",
        "注:",
        "说明:",
        "filledinby",
    ),
    ignored=("seq", "state"),
)

STAFF = Layout(
    columns=(
        Column(
            "staff_number",
            pgettext_lazy("registration form column", "Staff number"),
            ("工号", "职工号", "教工号", "人员编号", "职工编号", "工资号"),
            required=True,
        ),
        Column(
            "name", pgettext_lazy("registration form column", "Full name"), ("姓名",), required=True
        ),
        Column(
            "department",
            pgettext_lazy("registration form column", "Department"),
            ("部门", "所在部门", "单位", "所在单位", "所属单位", "所属部门", "部门名称"),
            required=True,
        ),
        Column("post", pgettext_lazy("registration form column", "Post"), ("职务", "岗位")),
        Column(
            "phone",
            pgettext_lazy("registration form column", "Phone"),
            ("手机", "手机号", "手机号码", "联系电话", "电话"),
        ),
        Column(
            "status",
            pgettext_lazy("registration form column", "Status"),
            ("状态", "在职状态", "人员状态"),
        ),
        Column(
            "left_on",
            pgettext_lazy("registration form column", "Date left"),
            ("离职日期", "离职时间", "离校日期"),
        ),
    ),
    ignored=("seq",),
)

# Known but never imported: the row number, and the approval state of the school-wide register.
STATE = Column(
    "state",
    pgettext_lazy("registration form column", "State"),
    ("状态", "审核状态", "审批状态"),
    width=9,
)
_KNOWN = {"seq": SEQ, "state": STATE}


# ------------------------------------------------------------------------------------------------
# Finding the rows
# ------------------------------------------------------------------------------------------------

_HEADER_SEARCH_ROWS = 20


@dataclass
class Table:
    """The data rows of a sheet under canonical field names, each with its spreadsheet row."""

    fields: list[str]
    rows: list[list] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)

    def dataset(self) -> tablib.Dataset:
        data = tablib.Dataset(headers=[*self.fields])
        # tablib checks each appended row's width; these are built to the width already.
        data._data = [tablib.core.Row(row) for row in self.rows]
        return data


def _lookup(layout: Layout, extra: tuple[Column, ...]) -> dict[str, str]:
    keys = {}
    for column in (SEQ, *extra, *layout.columns):
        for key in column.keys():
            keys.setdefault(key, column.field)
    return keys


def _match(cell, lookup: dict[str, str]) -> str | None:
    if is_blank(cell) or not isinstance(cell, str):
        return None
    return next((lookup[key] for key in header_keys(cell) if key in lookup), None)


def locate_rows(sheet: Sheet, layout: Layout, *, max_rows: int | None = None) -> Table:
    """The header (below any title block) mapped to fields, and the data rows down to the
    signature block, blank rows skipped; a ``ValidationError`` if the header cannot be read."""
    max_rows = max_rows or settings.NEWMEDIA_IMPORT_MAX_ROWS
    extra = (STATE,) if layout is FORM else ()
    lookup = _lookup(layout, extra)
    required = [column for column in layout.columns if column.required]
    # The first row with every required header; else the row most like a header, to say what
    # it lacks (a title or a single label is not a header: two names at least).
    best, best_index = {}, None
    for index, row in enumerate(sheet.rows[:_HEADER_SEARCH_ROWS]):
        mapping = {i: f for i, cell in enumerate(row) if (f := _match(cell, lookup))}
        complete = all(column.field in mapping.values() for column in required)
        if complete or len(set(mapping.values())) > len(set(best.values())):
            best, best_index = mapping, index
        if complete:
            break
    if best_index is None or len(set(best.values())) < 2:
        raise refuse(
            NO_HEADER,
            "no_header",
            required="、".join(str(column.label) for column in required),
        )
    header = sheet.rows[best_index]
    missing = [str(column.label) for column in required if column.field not in set(best.values())]
    if missing:
        raise refuse(MISSING_COLUMNS, "missing_columns", columns="、".join(missing))
    by_field: dict[str, list[int]] = {}
    for i, field_name in best.items():
        by_field.setdefault(field_name, []).append(i)
    for field_name, positions in by_field.items():
        if len(positions) > 1 and field_name not in layout.ignored:
            raise refuse(
                DUPLICATE_COLUMNS,
                "duplicate_columns",
                column=layout.label(field_name),
                headers="、".join(str(header[i]).strip() for i in positions),
            )
    wanted = [(i, f) for i, f in sorted(best.items()) if f != "seq"]
    table = Table(fields=[f for _i, f in wanted])
    markers = tuple(header_key(m) for m in layout.footer_markers) + tuple(
        header_key(m) for m in footer_labels()
    )
    for index in range(best_index + 1, len(sheet.rows)):
        row = sheet.rows[index]
        first = next((cell for cell in row if not is_blank(cell)), None)
        if first is None:
            continue
        if markers and isinstance(first, str) and header_key(first).startswith(markers):
            break  # the signature block: nothing below it is data
        table.rows.append([row[i] if i < len(row) else "" for i, _f in wanted])
        table.row_numbers.append(index + 1)
    if not table.rows:
        raise refuse(NO_ROWS, "no_rows")
    if len(table.rows) > max_rows:
        raise refuse(TOO_MANY_DATA_ROWS, "too_many_rows", count=len(table.rows), limit=max_rows)
    return table


def footer_labels() -> tuple[str, ...]:
    """The labels of the laid-out form's signature block, in both languages."""
    labels = (FILLED_IN_BY, HEAD_SIGNATURE, FILLED_IN_ON)
    with translation.override("en"):
        english = tuple(str(label) for label in labels)
    return english + tuple(str(label) for label in labels)


FILLED_IN_BY = pgettext_lazy("registration form column", "Filled in by")
FILLED_IN_PHONE = pgettext_lazy("registration form column", "Phone")
HEAD_SIGNATURE = pgettext_lazy("registration form column", "Head of department (signature)")
FILLED_IN_ON = pgettext_lazy("registration form column", "Date filled in")


# ------------------------------------------------------------------------------------------------
# Cells to values
# ------------------------------------------------------------------------------------------------


def _nfkc(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_text(value) -> str:
    """Text as typed, stripped; a whole number typed as a number loses its “.0”."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def parse_code(value) -> str:
    """A group number or account ID: full-width digits folded, spaces removed, no “.0”."""
    return re.sub(r"\s+", "", _nfkc(parse_text(value)))


_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?")


def parse_date(value) -> dt.date | None:
    """A date cell, an Excel serial number, or text such as 2020-06-01, 2020/6/1, 2020.6.1,
    2020年6月1日 or 20200601."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _nfkc(value)
    try:
        if isinstance(value, int | float) or re.fullmatch(r"\d{5}(\.0+)?", text):
            serial = float(text)
            if 1 <= serial < 2958466 and serial.is_integer():
                return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
        elif match := _DATE.fullmatch(text):
            return dt.date(*(int(part) for part in match.groups()))
        elif re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        else:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else _bad_date(value)
    except ValueError:
        pass
    return _bad_date(value)


def _bad_date(value):
    raise ValueError(BAD_DATE % {"value": parse_text(value)})


_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


def parse_phone(value) -> str:
    """An 11-digit mobile number (from a number, “.0”, full-width digits, spaces or +86) or a
    landline; a masked number (``138****8000``) is passed on for the field to judge."""
    text = re.sub(r"\s+", "", _nfkc(parse_text(value)))
    if not text or "*" in text or _LANDLINE.fullmatch(text):
        return text
    digits = re.sub(r"[\-()]", "", text).removesuffix(".0")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix) :]
    if _MOBILE.fullmatch(digits):
        return digits
    raise ValueError(BAD_PHONE % {"value": parse_text(value)})


def parse_count(value) -> int | None:
    """A member or follower count: 35, 35.0, “35人”, “1.2万”."""
    if is_blank(value):
        return None
    if isinstance(value, int | float) and float(value).is_integer() and value >= 0:
        return int(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(万)?人?", _nfkc(value).replace(",", ""))
    if match:
        number = float(match.group(1)) * (10000 if match.group(2) else 1)
        if number.is_integer():
            return int(number)
    raise ValueError(BAD_COUNT % {"value": parse_text(value)})


_YES = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "已实名", "实名"}
_NO = {"否", "n", "no", "false", "0", "×", "✗", "无", "未实名", ""}


def parse_yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    key = header_key(parse_text(value))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(BAD_YES_NO % {"value": parse_text(value)})


def yes_no(value: bool) -> str:
    return str(YES if value else NO)


YES = pgettext_lazy("registration form column", "Yes")
NO = pgettext_lazy("registration form column", "No")

# Shorter words offices write for a choice, beside its code and its label in both languages.
_CHOICE_ALIASES = {
    "qq_group": ("QQ", "qq群"),
    "wechat_group": ("微信", "微信工作群"),
    "wecom_group": ("企业微信",),
    "dingtalk_group": ("钉钉",),
    "wechat_official": ("公众号", "微信公众平台"),
    "channels": ("微信视频号",),
    "toutiao": ("头条", "头条号", "今日头条号"),
    "kuaishou": ("快手号",),
    "xiaohongshu": ("小红书号",),
    "bilibili": ("B站", "bilibili", "哔哩哔哩号"),
    "mini_program": ("小程序",),
    "app": ("APP", "移动应用", "客户端", "手机APP"),
    "school": ("学校", "学校名义", "以学校名义建立"),
    "department": ("部门", "部门名义", "以部门名义建立", "单位"),
    "work": ("工作", "工作名义", "以工作名义建立"),
    "temporary_group": ("临时群",),
}


def choice_parser(choices) -> Callable[[object], str]:
    """A parser for a ``TextChoices``: its code, its label in English or Chinese, or a usual
    shorter word; blank stays blank."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in choices.choices:
                for name in (code, str(label), *_CHOICE_ALIASES.get(code, ())):
                    lookup.setdefault(header_key(name), code)
    with translation.override("zh-hans"):
        shown = "、".join(str(label) for _code, label in choices.choices)

    def parse(value) -> str:
        if is_blank(value):
            return ""
        try:
            return lookup[header_key(parse_text(value))]
        except KeyError:
            raise ValueError(BAD_CHOICE % {"value": parse_text(value), "choices": shown}) from None

    return parse


def form_parsers() -> dict[str, Callable]:
    """The parser of each column of the registration form (the department and the survivor of a
    merge are looked up by the import itself)."""
    text = parse_text
    return {
        "name": text,
        "platform": choice_parser(Account.Platform),
        "account_type": choice_parser(Account.AccountType),
        "number": parse_code,
        "naming_level": choice_parser(Account.NamingLevel),
        "category": choice_parser(Account.Category),
        "purpose": text,
        "created_on": parse_date,
        "task_end_on": parse_date,
        "owner_name": text,
        "owner_post": text,
        "owner_phone": parse_phone,
        "administrator_name": text,
        "security_contact_name": text,
        "member_count": parse_count,
        "real_name_admission": parse_yes_no,
        "last_active_on": parse_date,
        "disposition": choice_parser(Account.Disposition),
        "merge_into": parse_code,
        "disposition_reason": text,
        "remarks": text,
        "state": text,
        "platform_name": text,
        "rules_acknowledged": parse_yes_no,
    }


def staff_parsers() -> dict[str, Callable]:
    return {
        "staff_number": parse_code,
        "name": parse_text,
        "post": parse_text,
        "phone": parse_phone,
        "status": choice_parser(Staff.Status),
        "left_on": parse_date,
    }


def survivor_text(survivor: Account | None) -> str:
    """整合至 as written out: the surviving account by name and number."""
    if survivor is None:
        return ""
    return f"{survivor.name}（{survivor.number}）" if survivor.number else survivor.name


_SURVIVOR = re.compile(r"(.+)\(([^()]+)\)")


def survivor_number(value: str) -> str | None:
    """The number of 整合至 written as ``survivor_text`` does (folded by ``parse_code``)."""
    match = _SURVIVOR.fullmatch(value)
    return match.group(2) if match else None


def department_key(value) -> str:
    return header_key(parse_text(value))
