"""Spreadsheet imports: the registration form (new accounts open as drafts) and the staff roster.

One path for the filers' page, the admin and ``manage.py import_accounts``: the file is read
safely (``registry.sheets``: every sheet of a workbook, every table of a Word document), the
offices' own headings read and what they leave out inferred (``registry.office_forms``), and
its rows imported by django-import-export all or nothing; a dry run first, showing every
inferred value, and a real import only on confirmation.
A filer writes only their own departments' rows; an account already registered elsewhere, an
account that is no longer a draft or returned, and the state are never changed by a file.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult

from registry import roles
from registry.import_audit import import_audited
from registry.layouts import FORM, STAFF, department_key, locate_rows
from registry.models import Account, ColumnMapping, Department, PendingImport
from registry.office_forms import OfficeTable, ReadColumn, read_office_form
from registry.resources import FormAccountResource, StaffRosterResource
from registry.sheets import read_book

from ..models import Filing
from .filings import filings_open_missing

Kind = PendingImport.Kind

IMPORT_NOT_PERMITTED = _("You may not import this kind of spreadsheet.")
DEPARTMENT_NOT_YOURS = _("You do not file for %(department)s.")
DATABASE_REFUSED = _("The database refused the rows, so nothing was imported: %(error)s")
UNEXPECTED = _("Row %(row)s could not be imported: %(error)s")
TITLE_DEPARTMENT_NOT_YOURS = _(
    "The title block of the sheet “%(sheet)s” names %(department)s, for which you do not file: "
    "nothing was imported."
)
MAPPED_TWICE = _("“%(first)s” and “%(second)s” are both assigned to %(field)s: choose one.")

EDITABLE_STATES = frozenset({Filing.State.DRAFT, Filing.State.RETURNED})


class FiledFormAccountResource(FormAccountResource):
    """Rows of the registration form, knowing each account's approval state; new accounts open
    their filing as a draft, like accounts added on the site."""

    def filing_states(self, account_ids):
        states = {}
        for start in range(0, len(account_ids), 5000):
            for account_id, state in Filing.objects.filter(
                account_id__in=account_ids[start : start + 5000]
            ).values_list("account_id", "state"):
                states[account_id] = (str(Filing.State(state).label), state in EDITABLE_STATES)
        return states

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        failed = result.has_errors() or result.has_validation_errors()
        if not kwargs.get("dry_run") and not failed:
            # Imported accounts get their clean-up findings from the nightly evaluation (or their
            # next edit): evaluating a whole department here would triple a large import's time.
            filings_open_missing()


RESOURCES = {Kind.ACCOUNTS: FiledFormAccountResource, Kind.STAFF: StaffRosterResource}
LAYOUTS = {Kind.ACCOUNTS: FORM, Kind.STAFF: STAFF}
PERMISSIONS = {Kind.ACCOUNTS: "registry.import_account", Kind.STAFF: "registry.import_staff"}


@dataclass
class Problem:
    """What is wrong, where: the spreadsheet's row and the column's header (None for the file),
    and the sheet (or Word table) of a file with several."""

    row: int | None
    column: str
    message: str
    sheet: str = ""


@dataclass
class Inferred:
    """What the import filled in for one row, shown on the dry run: (column, value) pairs."""

    sheet: str
    row: int
    name: str
    values: list[tuple[str, str]]


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    kind: str
    file_name: str
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    new: list[tuple[int, str]] = field(default_factory=list)  # (row, account or person)
    changed: list[tuple[int, str]] = field(default_factory=list)
    unchanged: int = 0
    marked_left: list[str] = field(default_factory=list)
    # How the headings were read, notes on the file, what was inferred, and information on rows
    # (read-only columns), for the registration form.
    columns: list[ReadColumn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inferred: list[Inferred] = field(default_factory=list)
    info: list[Problem] = field(default_factory=list)
    unknown: list[ReadColumn] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = {"new": len(self.new), "updated": len(self.changed), "skipped": self.unchanged}
        return str(_("%(new)s new, %(updated)s updated, %(skipped)s unchanged") % counts) + (
            str(_(", %(left)s marked as left") % {"left": len(self.marked_left)})
            if self.marked_left
            else ""
        )


def may_import(user, kind: str) -> bool:
    """Whether the user holds the import permission of this kind of sheet."""
    return user.is_authenticated and user.has_perm(PERMISSIONS[kind])


def _writable(user) -> frozenset[int] | None:
    """The departments whose rows the user may import; None for all (reviewers, the command)."""
    if user is None or roles.sees_all(user):
        return None
    return roles.filer_department_ids(user)


def default_department(user, department: Department | None) -> Department | None:
    """The department for rows that name none: the one chosen, else a filer's only one."""
    writable = _writable(user)
    if department is not None:
        if writable is not None and department.pk not in writable:
            raise PermissionDenied(DEPARTMENT_NOT_YOURS % {"department": department.name})
        return department
    if writable is not None and len(writable) == 1:
        return Department.objects.get(pk=next(iter(writable)))
    return None


def sheet_import(
    *,
    user,
    kind: str,
    data: bytes,
    file_name: str,
    department: Department | None = None,
    dry_run: bool,
    options: dict | None = None,
) -> ImportReport:
    """Import (or dry-run) a spreadsheet of this kind as this user, all or nothing.

    ``user`` None is the command line: every department, no permission check. A file that cannot
    be read is reported as one problem without a row; a confirmed import leaves an audit row.
    ``options`` (the registration form): the ``naming_level`` and ``category`` chosen for rows
    that give none, ``mappings`` (folded heading → field, "" to ignore) for this file beside the
    department's remembered ones, and ``rules_acknowledged`` (R6, for every row).
    """
    if user is not None and not may_import(user, kind):
        raise PermissionDenied(IMPORT_NOT_PERMITTED)
    chosen = default_department(user, department)
    options = options or {}
    report = ImportReport(kind=kind, file_name=file_name, dry_run=dry_run)
    layout = LAYOUTS[kind]
    try:
        sheets = read_book(data)
        if kind == Kind.ACCOUNTS:
            mappings = {**remembered_mappings(department=chosen), **options.get("mappings", {})}
            table = read_office_form(sheets, mappings=mappings, defaults=options)
            _check_title_departments(table, user)
        else:
            table = locate_rows(sheets[0], layout)
    except ValidationError as exc:
        report.problems = [Problem(None, "", message) for message in exc.messages]
        return _audited(report, user)
    resource = RESOURCES[kind](
        user=user, writable_department_ids=_writable(user), default_department=chosen
    )
    dataset = table.dataset()
    dataset.row_numbers = table.row_numbers
    dataset.inferred = getattr(table, "inferred", [])
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=dry_run, raise_errors=False)
    sheet_of = getattr(table, "row_sheets", [])
    _read_result(report, result, resource, layout, table.row_numbers, sheet_of)
    report.marked_left = list(getattr(resource, "marked_left", []))
    if isinstance(table, OfficeTable):
        _read_inferences(report, table, resource)
    return _audited(report, user)


def _sheet(sheet_of: list[str], number: int) -> str:
    return sheet_of[number - 1] if 0 < number <= len(sheet_of) else ""


def _read_result(report, result, resource, layout, row_numbers, sheet_of) -> None:
    for error in result.base_errors:
        report.problems.append(Problem(None, "", DATABASE_REFUSED % {"error": error.error}))
    for number, errors in result.row_errors():
        for error in errors:
            report.problems.append(
                Problem(
                    resource.sheet_row(number),
                    "",
                    UNEXPECTED % {"row": resource.sheet_row(number), "error": error.error},
                    _sheet(sheet_of, number),
                )
            )
    for invalid in result.invalid_rows:
        for field_name, messages in invalid.error_dict.items():
            for message in messages:
                report.problems.append(
                    Problem(
                        resource.sheet_row(invalid.number),
                        layout.label(field_name),
                        message,
                        _sheet(sheet_of, invalid.number),
                    )
                )
    report.problems.sort(key=lambda p: (p.sheet != _sheet(sheet_of, 1), p.sheet, p.row or 0))
    for index, row in enumerate(result.rows):
        sheet_row = row_numbers[index] if index < len(row_numbers) else index + 1
        if row.import_type == RowResult.IMPORT_TYPE_NEW:
            report.new.append((sheet_row, row.object_repr or ""))
        elif row.import_type == RowResult.IMPORT_TYPE_UPDATE:
            report.changed.append((sheet_row, row.object_repr or ""))
        elif row.import_type == RowResult.IMPORT_TYPE_SKIP:
            report.unchanged += 1


_CHOICES = {
    "platform": Account.Platform,
    "naming_level": Account.NamingLevel,
    "category": Account.Category,
}


def _shown(field_name: str, value) -> str:
    choices = _CHOICES.get(field_name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def _read_inferences(report: ImportReport, table: OfficeTable, resource) -> None:
    """What the dry run shows beside the rows: how each heading was read, every inferred value
    by row, and the information on read-only columns."""
    report.columns, report.notes, report.unknown = table.columns, table.notes, table.unknown
    report.sheets = list(dict.fromkeys(table.row_sheets))
    name_at = table.fields.index("name")
    shown: dict[tuple[str, str], tuple[str, str]] = {}  # a few values, on thousands of rows
    for index, inferred in enumerate(table.inferred):
        if inferred:
            values = []
            for pair in inferred.items():
                if pair not in shown:
                    shown[pair] = (FORM.label(pair[0]), _shown(*pair))
                values.append(shown[pair])
            report.inferred.append(
                Inferred(
                    table.row_sheets[index],
                    table.row_numbers[index],
                    str(table.rows[index][name_at] or ""),
                    values,
                )
            )
    for number, message in getattr(resource, "notes", []):
        report.info.append(
            Problem(
                resource.sheet_row(number),
                FORM.label("state"),
                str(message),
                _sheet(table.row_sheets, number),
            )
        )


def _check_title_departments(table: OfficeTable, user) -> None:
    """A department named in a title block must be one the user files for (a name that is no
    department is an error only on the rows that would take it: ``UNKNOWN_DEPARTMENT``)."""
    if not table.title_departments:
        return
    departments = {}
    for department in Department.objects.all():
        departments[department_key(department.name)] = department
        departments.setdefault(department_key(department.code), department)
    writable = _writable(user)
    for sheet, value in table.title_departments.items():
        department = departments.get(department_key(value))
        if department is not None and writable is not None and department.pk not in writable:
            raise ValidationError(
                TITLE_DEPARTMENT_NOT_YOURS % {"sheet": sheet, "department": department.name}
            )


def remembered_mappings(*, department: Department | None) -> dict[str, str]:
    """The department's answers for headings the import does not know (folded heading →
    field, "" to ignore)."""
    if department is None:
        return {}
    return dict(ColumnMapping.objects.filter(department=department).values_list("heading", "field"))


MAPPABLE_FIELDS = tuple(
    column.field for column in FORM.columns if column.field not in ("department", "merge_into")
)


def import_mapping_save(
    *, department: Department | None, unknown: list[ReadColumn], choices: dict[str, str]
) -> dict[str, str]:
    """Check the user's answers for unknown headings (folded heading → field, "" to ignore) and
    remember them for the department; the mapping to use for this file is returned. Two headings
    sent to one field are refused."""
    headings = {column.key: column.heading for column in unknown}
    chosen: dict[str, str] = {}
    errors = []
    taken: dict[str, str] = {}
    for key, field_name in choices.items():
        if key not in headings or (field_name and field_name not in MAPPABLE_FIELDS):
            continue
        chosen[key] = field_name
        if not field_name:
            continue
        if field_name in taken:
            errors.append(
                MAPPED_TWICE
                % {
                    "first": taken[field_name],
                    "second": headings[key],
                    "field": FORM.label(field_name),
                }
            )
        taken[field_name] = headings[key]
    if errors:
        raise ValidationError(errors)
    if department is not None:
        with transaction.atomic():
            for key, field_name in chosen.items():
                ColumnMapping.objects.update_or_create(
                    department=department, heading=key, defaults={"field": field_name}
                )
    return chosen


def _audited(report: ImportReport, user) -> ImportReport:
    """A confirmed import, done or refused, leaves one audit row; a dry run none."""
    if report.dry_run:
        return report
    import_audited(
        user=user,
        model="registry.Account" if report.kind == Kind.ACCOUNTS else "registry.Staff",
        file_name=report.file_name,
        new=len(report.new),
        updated=len(report.changed),
        skipped=report.unchanged,
        left=len(report.marked_left),
        errors=None if report.ok else len(report.problems),
    )
    return report
