"""Reading a group's member list as QQ or WeChat give it, and telling who on it is staff.

``read_roster`` turns an uploaded file (xlsx, or CSV / tab-separated text as copied from WeChat)
into member rows, recognising the usual columns or following the user's column mapping, and
refuses the whole file with every problem listed (duplicates, rows without a name, too many
members, another group's file). ``match_members`` marks each member against the staff roster by
staff number, phone, or the real name in the 群名片 ("姓名-部门", "部门+姓名", …); it never marks
anyone as staff on a guess: two possible people are "ambiguous", for a person to decide.
"""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from registry import sheets
from registry.models import Department, Staff

from .models import MatchBasis, MemberMatch

# Error messages, reused by the tests.
EMPTY_FILE = _("The file is empty.")
TOO_LARGE = _("The file is %(size)s; the largest roster accepted is %(limit)s.")
OLD_EXCEL = _("This is an old Excel file (.xls): save it as .xlsx or CSV and upload it again.")
NOT_A_ROSTER = _(
    "The file is neither an Excel workbook (.xlsx) nor text (CSV, or columns copied from "
    "WeChat); its content was checked, not its name."
)
UNREADABLE_XLSX = _("The workbook could not be read: save it again as .xlsx and upload it again.")
NO_COLUMNS = _(
    "No column of the file was recognised as a member's name (昵称, 群名片, 姓名…). Choose "
    "below which column holds what, and upload the file again."
)
NO_MEMBERS = _("The file lists no members.")
TOO_MANY = _("The file lists %(count)s members; a roster holds at most %(limit)s.")
NO_NAME = _("Row %(row)s has no name: neither a nickname, a name card nor a real name.")
DUPLICATE = _("Row %(row)s repeats the member of row %(first)s (%(who)s).")
WRONG_GROUP = _(
    "This file is the member list of group %(found)s, but this account's number is "
    "%(expected)s: upload the list of this group."
)
MORE_ERRORS = _("… and %(count)s more problems.")
MAX_ERRORS_SHOWN = 20

# The columns a roster may have, with the headers QQ group management, WeChat copies and
# departments' own lists use for them (compared without case, spaces or punctuation).
FIELDS = {
    "nickname": ("昵称", "成员", "群成员", "微信昵称", "网名", "nickname"),
    "card": ("群名片", "群昵称", "名片", "群内昵称", "备注名", "备注", "card"),
    "member_number": ("qq号", "qq", "qq号码", "账号", "微信号", "成员账号", "uin"),
    "real_name": ("姓名", "真实姓名", "name"),
    "staff_number": ("工号", "职工号", "教工号", "人事编号"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话"),
    "gender": ("性别",),
    "joined_on": ("入群时间", "加入时间", "进群时间"),
    "last_spoke_on": ("最后发言", "最后发言时间", "最近发言", "最近发言时间"),
}
FIELD_LABELS = {
    "nickname": _("Nickname (昵称)"),
    "card": _("Group name card (群名片)"),
    "member_number": _("QQ or WeChat number"),
    "real_name": _("Real name (姓名)"),
    "staff_number": _("Staff number (工号)"),
    "phone": _("Phone"),
    "gender": _("Gender"),
    "joined_on": _("Joined on"),
    "last_spoke_on": _("Last spoke on"),
}
NAME_FIELDS = ("nickname", "card", "real_name")
HEADER_SCAN_ROWS = 10
_GROUP_NUMBER = re.compile(r"群号\D{0,3}(\d{5,12})")


class MappingNeeded(ValidationError):
    """The file's columns were not recognised; ``columns`` are the first row's cells."""

    def __init__(self, columns: list[str]):
        super().__init__(NO_COLUMNS, code="mapping")
        self.columns = columns


@dataclass
class MemberRow:
    row: int
    nickname: str = ""
    card: str = ""
    member_number: str = ""
    real_name: str = ""
    staff_number: str = ""
    phone: str = ""
    gender: str = ""
    joined_on: date | None = None
    last_spoke_on: date | None = None
    # Set by match_members.
    match: str = ""
    basis: str = ""
    staff_id: int | None = None
    candidates: list[int] = field(default_factory=list)

    @property
    def who(self) -> str:
        return self.card or self.nickname or self.real_name or self.member_number


@dataclass
class ParsedRoster:
    members: list[MemberRow]
    group_number: str = ""


# ------------------------------------------------------------------------------------------------
# Reading the file
# ------------------------------------------------------------------------------------------------


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a QQ number typed into Excel comes back as 123456789.0
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _rows_of_xlsx(data: bytes) -> tuple[list[list[str]], str]:
    """The first sheet, read by the registration form's reader: the same checks against zip
    and XML bombs, the same caps, in a fraction of a second whatever the file claims."""
    try:
        sheet = sheets.read_sheet(data, max_rows=settings.NEWMEDIA_ROSTER_MAX_MEMBERS)
    except ValidationError as exc:
        if exc.code in ("not_a_spreadsheet", "unreadable"):
            raise ValidationError(UNREADABLE_XLSX, code="unreadable") from None
        raise
    return [[_clean(cell) for cell in row] for row in sheet.rows], sheet.name or ""


def _rows_of_text(data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise ValidationError(NOT_A_ROSTER, code="wrong_kind")
    for encoding in ("utf-8-sig", "gb18030"):  # QQ on Windows exports GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(NOT_A_ROSTER, code="wrong_kind")
    sample = text[:8192]
    delimiter = max(("\t", ",", ";", "，"), key=sample.count)
    if not sample.count(delimiter):
        delimiter = "\t"
    return [
        [_clean(cell) for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]


def file_rows(upload: UploadedFile) -> tuple[list[list[str]], str]:
    """The file's rows of cells, and any title it carries (the sheet's name); checked by
    content and size first."""
    if not upload.size:
        raise ValidationError(EMPTY_FILE, code="empty")
    limit = settings.NEWMEDIA_ROSTER_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            TOO_LARGE,
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    upload.seek(0)
    data = upload.read()
    if data.startswith(b"PK\x03\x04"):
        return _rows_of_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(OLD_EXCEL, code="wrong_kind")
    return _rows_of_text(data), ""


def _header_key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


_HEADER_LOOKUP = {_header_key(h): name for name, headers in FIELDS.items() for h in headers}


def recognise_columns(cells: list[str]) -> dict[str, int]:
    """The fields a header row names, by column index (the first column for each field)."""
    found = {}
    for index, cell in enumerate(cells):
        name = _HEADER_LOOKUP.get(_header_key(cell))
        if name and name not in found:
            found[name] = index
    return found


def find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """The header row among the first rows (QQ puts a title above it) and its columns."""
    best = (-1, {})
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns = recognise_columns(cells)
        if any(name in columns for name in NAME_FIELDS) and len(columns) > len(best[1]):
            best = (index, columns)
    if best[0] < 0:
        first = next((cells for cells in rows if any(cells)), [])
        raise MappingNeeded([cell for cell in first])
    return best


def _date(text: str) -> date | None:
    match = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _group_number(rows: list[list[str]], header_index: int, title: str) -> str:
    for text in [title, *(" ".join(cells) for cells in rows[:header_index])]:
        if found := _GROUP_NUMBER.search(unicodedata.normalize("NFKC", text)):
            return found.group(1)
    return ""


def parse_rows(
    rows: list[list[str]],
    *,
    title: str = "",
    mapping: dict[str, int] | None = None,
    header_row: int | None = None,
) -> ParsedRoster:
    """The members of the file's rows, or a ValidationError listing every problem.

    ``mapping`` (field → column index) and ``header_row`` (0-based) come from the user when the
    columns were not recognised; without them the header is looked for.
    """
    if mapping:
        header_index = header_row if header_row is not None else 0
        columns = mapping
    else:
        header_index, columns = find_header(rows)
    group_number = _group_number(rows, header_index, title)
    errors: list[ValidationError] = []
    members: list[MemberRow] = []
    seen: dict[tuple, int] = {}
    for index in range(header_index + 1, len(rows)):
        cells = rows[index]
        number = index + 1  # as a spreadsheet numbers its rows
        if not any(cells):
            continue  # blank lines between blocks, or at the end
        values = {}
        for name, column in columns.items():
            values[name] = cells[column] if column < len(cells) else ""
        if not any(values.get(name) for name in (*NAME_FIELDS, "member_number")):
            continue  # a footer or a note row with nothing of a member in it
        max_length = 200
        member = MemberRow(
            row=number,
            nickname=values.get("nickname", "")[:max_length],
            card=values.get("card", "")[:max_length],
            member_number=re.sub(r"\s", "", values.get("member_number", ""))[:64],
            real_name=values.get("real_name", "")[:100],
            staff_number=values.get("staff_number", "").strip(),
            phone=re.sub(r"\D", "", unicodedata.normalize("NFKC", values.get("phone", ""))),
            gender=values.get("gender", "")[:16],
            joined_on=_date(values.get("joined_on", "")),
            last_spoke_on=_date(values.get("last_spoke_on", "")),
        )
        if not (member.nickname or member.card or member.real_name):
            errors.append(ValidationError(NO_NAME, params={"row": number}))
            continue
        key = (
            ("number", unicodedata.normalize("NFKC", member.member_number))
            if member.member_number
            else ("name", member.nickname, member.card, member.real_name)
        )
        if key in seen:
            errors.append(
                ValidationError(
                    DUPLICATE, params={"row": number, "first": seen[key], "who": member.who}
                )
            )
            continue
        seen[key] = number
        members.append(member)
    limit = settings.NEWMEDIA_ROSTER_MAX_MEMBERS
    if len(members) + len(errors) > limit:
        raise ValidationError(
            TOO_MANY, code="too_many", params={"count": len(members) + len(errors), "limit": limit}
        )
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append(
                ValidationError(MORE_ERRORS, params={"count": len(errors) - MAX_ERRORS_SHOWN})
            )
        raise ValidationError(shown, code="rows")
    if not members:
        raise ValidationError(NO_MEMBERS, code="no_members")
    return ParsedRoster(members=members, group_number=group_number)


def check_group(parsed: ParsedRoster, *, account_number: str) -> None:
    """Refuse another group's list: the group number in the file must be the account's."""
    expected = re.sub(r"\D", "", unicodedata.normalize("NFKC", account_number or ""))
    if parsed.group_number and expected and parsed.group_number != expected:
        raise ValidationError(
            WRONG_GROUP,
            code="wrong_group",
            params={"found": parsed.group_number, "expected": account_number},
        )


# ------------------------------------------------------------------------------------------------
# Matching against the staff roster
# ------------------------------------------------------------------------------------------------

# Separators in a 群名片 such as "张三-会计学院", "会计学院｜张三", "张三（辅导员）"; NFKC has
# turned the full-width ones into these already.
_SEPARATORS = re.compile(r"[\s\-_—–~|/\\,、:;+()\[\]【】<>《》{}\"'“”‘’!?。.*#@&=^$%]+")
_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
# Words around a name in a name card that are not the name.
_TITLES = ("老师", "教授", "主任", "书记", "院长", "处长", "科长", "辅导员")
_IN_BATCHES = 900  # under SQLite's limit of query parameters


def normalise_card(text: str) -> str:
    """A name card as compared: full-width forms made plain, case folded, emoji and other
    symbols dropped (kept: letters, digits, separators, and the "·" of names such as
    买买提·艾力)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch)[0] in "LNZ" or ch == "·" or _SEPARATORS.match(ch)
    )


@dataclass
class _Directory:
    """What matching needs of the departments: names and codes to spot in a name card."""

    names: list[tuple[str, int]]  # (normalised name or code, department id), longest first

    @classmethod
    def load(cls) -> "_Directory":
        pairs = []
        for pk, code, name in Department.objects.values_list("pk", "code", "name"):
            for text in (name, code):
                key = normalise_card(text).replace(" ", "")
                if len(key) >= 2:
                    pairs.append((key, pk))
        pairs.sort(key=lambda pair: -len(pair[0]))
        return cls(pairs)

    def split(self, token: str) -> tuple[str, set[int]]:
        """A token without a department's name or code at its start or end (部门+姓名), and
        the departments it named."""
        departments = set()
        for key, pk in self.names:
            if token == key:
                return "", {pk}
            if token.startswith(key) and len(token) > len(key):
                return token[len(key) :], {pk}
            if token.endswith(key) and len(token) > len(key):
                return token[: -len(key)], {pk}
        return token, departments


def _strip_title(token: str) -> str:
    for title in _TITLES:
        if token.endswith(title) and len(token) > len(title):
            return token[: -len(title)]
    return token


def _name_evidence(member: MemberRow, directory: _Directory) -> tuple[set[str], set[int]]:
    """The possible real names in a member's row, and the departments it names."""
    names, departments = set(), set()
    if member.real_name:
        names.add(normalise_card(member.real_name).replace(" ", ""))
    sources = [member.card] if member.card else [member.nickname]
    for source in sources:
        for token in _SEPARATORS.split(normalise_card(source)):
            if not token:
                continue
            rest, named = directory.split(token)
            departments |= named
            if rest:
                names.add(rest)
                names.add(_strip_title(rest))
    return {name for name in names if name}, departments


def _in_batches(values: set[str]):
    values = sorted(values)
    for start in range(0, len(values), _IN_BATCHES):
        yield values[start : start + _IN_BATCHES]


def _staff_by(field_name: str, values: set[str]) -> dict[str, list[tuple]]:
    found = defaultdict(list)
    for batch in _in_batches(values):
        rows = Staff.objects.filter(**{f"{field_name}__in": batch}).values_list(
            field_name, "pk", "department_id", "status"
        )
        for value, *staff in rows:
            found[value].append(tuple(staff))
    return found


def _mark(member: MemberRow, staff: tuple, basis: str, department_id: int) -> None:
    pk, staff_department, status = staff
    member.staff_id, member.basis = pk, basis
    if status != Staff.Status.ACTIVE:
        member.match = MemberMatch.DEPARTED
    elif staff_department == department_id:
        member.match = MemberMatch.OWN_DEPARTMENT
    else:
        member.match = MemberMatch.OTHER_DEPARTMENT


def _ambiguous(member: MemberRow, candidates) -> None:
    member.match, member.basis, member.staff_id = MemberMatch.AMBIGUOUS, MatchBasis.NONE, None
    member.candidates = sorted({staff[0] for staff in candidates})


def match_members(members: list[MemberRow], *, department_id: int) -> None:
    """Mark every member: staff of this department, of another, departed, not staff, or
    ambiguous (with the candidates). Staff numbers and phones are read from their columns or
    found in the name card; names from the real-name column or the name card."""
    directory = _Directory.load()
    evidence = {}
    numbers, phones, names = set(), set(), set()
    for member in members:
        card = normalise_card(member.card)
        member_numbers = {unicodedata.normalize("NFKC", member.staff_number).strip()} - {""}
        member_phones = ({member.phone} if len(member.phone) == 11 else set()) | set(
            _MOBILE.findall(card)
        )
        # A staff number typed into the card ("张三 20123") is only used if it is one.
        for token in _SEPARATORS.split(card):
            if len(token) >= 4 and any(ch.isdigit() for ch in token):
                member_numbers |= {token, token.upper()}
        member_names, named = _name_evidence(member, directory)
        evidence[member.row] = (member_numbers, member_phones, member_names, named)
        numbers |= member_numbers
        phones |= member_phones
        names |= member_names
    by_number = _staff_by("staff_number", numbers)
    by_phone = _staff_by("phone", phones)
    by_name = _staff_by("name", names)

    for member in members:
        member_numbers, member_phones, member_names, named = evidence[member.row]
        found = {s for n in member_numbers for s in by_number.get(n, [])}
        if len(found) == 1:
            _mark(member, found.pop(), MatchBasis.STAFF_NUMBER, department_id)
            continue
        found = {s for p in member_phones for s in by_phone.get(p, [])}
        if len(found) == 1:
            _mark(member, found.pop(), MatchBasis.PHONE, department_id)
            continue
        if len(found) > 1:
            _ambiguous(member, found)
            continue
        found = {s for n in member_names for s in by_name.get(n, [])}
        if named:
            # The card names a department: only that department's staff fit. Someone of the
            # same name elsewhere may be another person altogether, so that is for a person
            # to decide, never a match.
            fitting = {s for s in found if s[1] in named}
            if len(fitting) == 1:
                _mark(member, fitting.pop(), MatchBasis.NAME, department_id)
            elif found:
                _ambiguous(member, fitting or found)
            else:
                member.match, member.basis = MemberMatch.NOT_STAFF, MatchBasis.NONE
            continue
        if len(found) == 1:
            _mark(member, found.pop(), MatchBasis.NAME, department_id)
        elif found:
            _ambiguous(member, found)
        else:
            member.match, member.basis = MemberMatch.NOT_STAFF, MatchBasis.NONE
