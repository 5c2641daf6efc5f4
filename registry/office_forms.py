"""The forms offices already have, read as the registration form: every sheet (or Word table)
with a header row, its headings looked up in the vocabulary (``registry.vocabulary``), two
columns for one field resolved, and what the sheet leaves out inferred and marked as inferred.

Inference, per row, only where the sheet has no value:
- the platform: from the headings (QQ群号), the sheet's name or title block (QQ工作群登记表), or
  the number's shape (gh_… is a WeChat official account);
- the department: from the title block (填报单位（盖章）：会计学院);
- the naming level: in the school's name when the name holds the school's name or a short name,
  else in the department's; the category: a work group on a group platform, else a publishing
  account. The user may set both for the whole file on the dry-run page (``defaults``).
The import never lets an inferred value overwrite what the register holds (``SheetResource``).
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .layouts import FORM, SEQ, STATE, Table, footer_labels, form_parsers
from .models import Account
from .sheets import Sheet, header_key, header_keys, is_blank, refuse
from .vocabulary import COMPLETING, HEADINGS, PLATFORM_WORDS, SECOND_PERSON, Heading

NO_HEADER_IN_SHEET = _(
    "The sheet “%(sheet)s” has a title but no header row: put the column headings (the name, "
    "the group number, the owner, …) in one row below the title."
)
NO_NAME_IN_SHEET = _(
    "The header of the sheet “%(sheet)s” has no column for the name (名称, 群名称, 账号名称, …)."
)
NO_SHEET = _(
    "No sheet of the file has a header row: the column headings (the name, the group number, "
    "the owner, …) must be in one row."
)
BOTH_READ_AS = _("“%(used)s” and “%(other)s” are both read as %(field)s: “%(used)s” is used.")
COMPLETES = _("“%(other)s” fills in %(field)s where “%(used)s” is blank.")
SECOND_AS_ADMINISTRATOR = _("“%(other)s” is read as the administrator, “%(used)s” as the owner.")
ADMINISTRATOR_AS_OWNER = _("The sheet names no owner: “%(used)s” is read as the owner.")
NOT_KEPT = _("Not kept in the register.")
DOES_NOT_FIT = _("Its values are not a %(field)s.")
UNKNOWN_HEADING = _("Not recognised: assign it to a column below, or leave it ignored.")
SKIPPED_SHEET = _("The sheet “%(sheet)s” has no header row and no title: it was skipped.")

_HEADER_SEARCH_ROWS = 20
_TITLE_DEPARTMENT = re.compile(
    r"(?:填报单位|填表单位|报送单位|单位名称|所属单位|单位|部门)\s*"
    r"(?:[（(]\s*(?:盖章|公章|签章)\s*[)）])?\s*[:：][ \t\u3000]*"
    # The whole word, and not the next label of the line (填表日期：…) when the blank is empty.
    r"([^\s:：,，;；]+)(?![^\s:：,，;；])(?!\s*[:：])"
)
_OTHER_PLATFORM = re.compile(r"^(?:其他|其它|other)\s*[（(:：\-－]\s*(.+?)\s*[)）]?$", re.I)
_OTHER_STARTS = ("其他", "其它", "ot", "Ot", "OT")
_FORM_TITLE_WORDS = ("表", "登记", "清查", "统计", "一览")
# Blank, not absent, where a sheet has no such column: the row needs them (the department falls
# back to the one chosen for the file); a category is left absent when the platform is unknown,
# so that the row's one error is its platform.
_MISSING = {"department": "", "name": "", "platform": ""}


class Absent:
    """A cell of a column its sheet does not have: the field is left as it is."""

    __slots__ = ()

    def __repr__(self):
        return "ABSENT"


ABSENT = Absent()


@dataclass
class ReadColumn:
    """How one heading of one sheet was read: the field it fills ("" when ignored), and why."""

    sheet: str
    heading: str
    field: str = ""
    note: str = ""
    key: str = ""  # the folded heading, for a column the user may assign (``unknown``)
    unknown: bool = False

    @property
    def field_label(self) -> str:
        return FORM.label(self.field) if self.field else ""


@dataclass
class OfficeTable(Table):
    """The rows of every sheet under canonical field names, with each row's sheet and what was
    inferred for it (field → value), how each heading was read, and the title blocks' departments
    (sheet → the name written there)."""

    row_sheets: list[str] = field(default_factory=list)
    inferred: list[dict[str, str]] = field(default_factory=list)
    columns: list[ReadColumn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title_departments: dict[str, str] = field(default_factory=dict)

    @property
    def unknown(self) -> list[ReadColumn]:
        """Unrecognised headings, once each, for the mapping step."""
        seen, found = set(), []
        for column in self.columns:
            if column.unknown and column.key not in seen:
                seen.add(column.key)
                found.append(column)
        return found


def vocabulary(mappings: dict[str, str] | None = None) -> dict[str, Heading]:
    """Every known heading (folded) and what it fills: the form's own columns and their
    variants, the offices' vocabulary over them, and the department's own mappings over all."""
    lookup: dict[str, Heading] = {}
    for column in (SEQ, STATE, *FORM.columns):
        for key in column.keys():
            lookup.setdefault(key, Heading((column.field,)))
    lookup.update({header_key(text): heading for text, heading in HEADINGS.items()})
    for key, field_name in (mappings or {}).items():
        lookup[key] = Heading((field_name,) if field_name else ())
    return lookup


def _heading(cell, lookup) -> tuple[str, Heading | None]:
    if is_blank(cell) or not isinstance(cell, str):
        return "", None
    keys = header_keys(cell)
    return keys[0], next((lookup[key] for key in keys if key in lookup), None)


def _find_header(rows: list[list], lookup) -> int | None:
    """The row (index) most like a header among the first rows: the most known headings, one of
    them a name; at least two."""
    best, best_score = None, (False, 1)
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        found = [heading for cell in row if (heading := _heading(cell, lookup)[1])]
        score = (any("name" in h.fields for h in found), len(found))
        if score > best_score:
            best, best_score = index, score
    return best


def _fits(field_name: str, values: list) -> bool:
    parse = form_parsers().get(field_name)
    if parse is None:
        return True
    try:
        for value in values:
            parse(value)
    except ValueError:
        return False
    return True


def _platform_in(text: str) -> str:
    key = header_key(text)
    return next((code for word, code in PLATFORM_WORDS if word in key), "")


def _title_text(rows: list[list]) -> str:
    return " ".join(str(cell).strip() for row in rows for cell in row if not is_blank(cell))


def school_named(name: str) -> bool:
    """Whether an account's name holds the school's name or one of its short names."""
    names = (settings.NEWMEDIA_SCHOOL_NAME, *settings.NEWMEDIA_SCHOOL_SHORT_NAMES)
    return any(school and school in name for school in names)


_PLATFORM = form_parsers()["platform"]
GROUP_PLATFORMS = frozenset(
    {
        Account.Platform.QQ_GROUP,
        Account.Platform.WECHAT_GROUP,
        Account.Platform.WECOM_GROUP,
        Account.Platform.DINGTALK_GROUP,
    }
)


def _platform_code(value) -> str:
    try:
        return _PLATFORM(value)
    except ValueError:
        return ""


@dataclass
class _SheetPlan:
    """One sheet's header read: the columns (indices) of each field, most specific first."""

    sources: dict[str, list[int]]
    platform: str
    department: str
    header_index: int


def _plan(sheet: Sheet, index: int, lookup, table: OfficeTable) -> _SheetPlan:
    header = sheet.rows[index]
    data = sheet.rows[index + 1 :]
    candidates: dict[str, list[tuple[int, int, Heading]]] = {}
    for position, cell in enumerate(header):
        if is_blank(cell):
            continue
        heading_text = str(cell).strip()
        key, heading = _heading(cell, lookup)
        if heading is None:
            table.columns.append(
                ReadColumn(
                    sheet.name, heading_text, note=str(UNKNOWN_HEADING), key=key, unknown=True
                )
            )
            continue
        fields = heading.fields
        if not fields:
            table.columns.append(ReadColumn(sheet.name, heading_text, note=str(NOT_KEPT)))
            continue
        if heading.sensed or len(fields) > 1:
            values = [r[position] for r in data if position < len(r) and not is_blank(r[position])]
            fits = [f for f in fields if _fits(f, values)]
            if not fits:
                label = FORM.label(fields[0])
                table.columns.append(
                    ReadColumn(sheet.name, heading_text, note=str(DOES_NOT_FIT % {"field": label}))
                )
                continue
            fields = fits
        candidates.setdefault(fields[0], []).append((-heading.rank, position, heading))
    sources: dict[str, list[int]] = {}
    platforms = set()
    texts = {position: str(header[position]).strip() for position in range(len(header))}

    def read(field_name, position, note=""):
        sources.setdefault(field_name, []).append(position)
        table.columns.append(ReadColumn(sheet.name, texts[position], field_name, note))

    if "owner_name" not in candidates and "administrator_name" in candidates:
        admins = sorted(candidates.pop("administrator_name"))
        candidates["owner_name"] = admins[:1]
        if admins[1:]:
            candidates["administrator_name"] = admins[1:]
        table.notes.append(str(ADMINISTRATOR_AS_OWNER % {"used": texts[admins[0][1]]}))
    for field_name, found in sorted(candidates.items(), key=lambda item: min(item[1])[1]):
        found.sort()
        first = found[0][1]
        if found[0][2].platform:
            platforms.add(found[0][2].platform)
        if field_name == "seq":
            continue
        read(field_name, first)
        for _rank, position, _heading_found in found[1:]:
            words = {
                "used": texts[first],
                "other": texts[position],
                "field": FORM.label(field_name),
            }
            second = SECOND_PERSON.get(field_name)
            if field_name in COMPLETING:
                note = str(COMPLETES % words)
                read(field_name, position, note)
            elif second and second not in candidates and second not in sources:
                note = str(SECOND_AS_ADMINISTRATOR % words)
                read(second, position, note)
            else:
                note = str(BOTH_READ_AS % words)
                table.columns.append(ReadColumn(sheet.name, texts[position], "", note))
            table.notes.append(note)
    title = _title_text(sheet.rows[:index])
    platform = platforms.pop() if len(platforms) == 1 else ""
    platform = platform or _platform_in(sheet.name) or _platform_in(title)
    match = _TITLE_DEPARTMENT.search(title)
    return _SheetPlan(sources, platform, match.group(1) if match else "", index)


def read_office_form(
    sheets: list[Sheet],
    *,
    mappings: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    max_rows: int | None = None,
) -> OfficeTable:
    """Every sheet's rows as the registration form's fields, with what was inferred; a
    ``ValidationError`` naming the sheet whose header cannot be read."""
    from .layouts import NO_ROWS, TOO_MANY_DATA_ROWS

    max_rows = max_rows or settings.NEWMEDIA_IMPORT_MAX_ROWS
    defaults = defaults or {}
    lookup = vocabulary(mappings)
    table = OfficeTable(fields=[])
    plans = []
    for sheet in sheets:
        index = _find_header(sheet.rows, lookup)
        if index is None:
            first = next((c for row in sheet.rows for c in row if not is_blank(c)), None)
            if first is None:
                continue
            if any(word in str(first) for word in _FORM_TITLE_WORDS) or _platform_in(str(first)):
                if not sheet.name:  # CSV: the file is the sheet
                    raise refuse(NO_SHEET, "no_header")
                raise refuse(NO_HEADER_IN_SHEET, "no_header", sheet=sheet.name)
            table.notes.append(str(SKIPPED_SHEET % {"sheet": sheet.name}))
            continue
        plan = _plan(sheet, index, lookup, table)
        if "name" not in plan.sources:
            raise refuse(NO_NAME_IN_SHEET, "missing_columns", sheet=sheet.name)
        plans.append((sheet, plan))
        if plan.department:
            table.title_departments[sheet.name] = plan.department
    if not plans:
        raise refuse(NO_SHEET, "no_header")
    always = ("department", "name", "platform", "platform_name", "naming_level", "category")
    fields = list(always)
    for _sheet, plan in plans:
        fields += [f for f in plan.sources if f not in fields]
    if defaults.get("rules_acknowledged") and "rules_acknowledged" not in fields:
        fields.append("rules_acknowledged")
    table.fields = fields
    markers = tuple(header_key(m) for m in (*FORM.footer_markers, *footer_labels()))
    for sheet, plan in plans:
        for index in range(plan.header_index + 1, len(sheet.rows)):
            cells = sheet.rows[index]
            first = next((cell for cell in cells if not is_blank(cell)), None)
            if first is None:
                continue
            if isinstance(first, str) and header_key(first).startswith(markers):
                break  # the signature block: nothing below it is data
            values, inferred = _row(cells, plan, defaults)
            table.rows.append([values.get(f, _MISSING.get(f, ABSENT)) for f in fields])
            table.row_numbers.append(index + 1)
            table.row_sheets.append(sheet.name)
            table.inferred.append(inferred)
    if not table.rows:
        raise refuse(NO_ROWS, "no_rows")
    if len(table.rows) > max_rows:
        raise refuse(TOO_MANY_DATA_ROWS, "too_many_rows", count=len(table.rows), limit=max_rows)
    return table


def _cell(cells: list, positions: list[int]):
    value = ""
    for position in positions:
        value = cells[position] if position < len(cells) else ""
        if not is_blank(value):
            return value
    return value


def _row(cells: list, plan: _SheetPlan, defaults: dict) -> tuple[dict, dict]:
    """One row's values by field, and what was inferred (or set for the file) for it."""
    width = len(cells)
    values = {
        name: (cells[positions[0]] if positions[0] < width else "")
        if len(positions) == 1
        else _cell(cells, positions)
        for name, positions in plan.sources.items()
    }
    inferred = {}
    platform = values.get("platform", "")
    if (
        isinstance(platform, str)
        and platform[:2] in _OTHER_STARTS
        and (other := _OTHER_PLATFORM.match(platform.strip()))
    ):
        values["platform"], values["platform_name"] = Account.Platform.OTHER, other.group(1)
    elif "platform" in values:
        values["platform_name"] = ""
    if is_blank(values.get("platform")):
        number = str(values.get("number") or "").strip()
        code = plan.platform or (
            Account.Platform.WECHAT_OFFICIAL if number.startswith("gh_") else ""
        )
        if code:
            values["platform"] = inferred["platform"] = code
            values["platform_name"] = ""
    if is_blank(values.get("department")) and plan.department:
        values["department"] = inferred["department"] = plan.department
    if is_blank(values.get("naming_level")):
        name = str(values.get("name") or "")
        chosen = defaults.get("naming_level")
        level = chosen or ("school" if school_named(name) else "department")
        values["naming_level"] = inferred["naming_level"] = level
    if is_blank(values.get("category")):
        code = _platform_code(values.get("platform"))
        if code:
            chosen = defaults.get("category")
            category = chosen or ("work_group" if code in GROUP_PLATFORMS else "publishing")
            values["category"] = inferred["category"] = category
    if values.get("disposition") == "是":
        values["disposition"] = Account.Disposition.KEEP  # 是否保留: 是
    if defaults.get("rules_acknowledged") and is_blank(values.get("rules_acknowledged")):
        values["rules_acknowledged"] = True
    return values, inferred
