"""Spreadsheet imports: the registration form (new accounts open as drafts) and the staff roster.

One path for the filers' page, the admin and ``manage.py import_accounts``: the file is read
safely (``registry.sheets``), its header found (``registry.layouts``) and its rows imported by
django-import-export all or nothing; a dry run first, and a real import only on confirmation.
A filer writes only their own departments' rows; an account already registered elsewhere, an
account that is no longer a draft or returned, and the state are never changed by a file.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult

from audit.models import AuditEvent
from audit.services import audit_record
from registry import roles
from registry.layouts import FORM, STAFF, locate_rows
from registry.models import Department, PendingImport
from registry.resources import FormAccountResource, StaffRosterResource
from registry.sheets import read_sheet

from ..models import Filing
from .filings import filings_open_missing

Kind = PendingImport.Kind

IMPORT_NOT_PERMITTED = _("You may not import this kind of spreadsheet.")
DEPARTMENT_NOT_YOURS = _("You do not file for %(department)s.")
DATABASE_REFUSED = _("The database refused the rows, so nothing was imported: %(error)s")
UNEXPECTED = _("Row %(row)s could not be imported: %(error)s")

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
    """What is wrong, where: the spreadsheet's row and the column's header (None for the file)."""

    row: int | None
    column: str
    message: str


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

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.changed)} updated, {self.unchanged} skipped" + (
            f", {len(self.marked_left)} marked as left" if self.marked_left else ""
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
) -> ImportReport:
    """Import (or dry-run) a spreadsheet of this kind as this user, all or nothing.

    ``user`` None is the command line: every department, no permission check. A file that cannot
    be read is reported as one problem without a row; a confirmed import leaves an audit row.
    """
    if user is not None and not may_import(user, kind):
        raise PermissionDenied(IMPORT_NOT_PERMITTED)
    chosen = default_department(user, department)
    report = ImportReport(kind=kind, file_name=file_name, dry_run=dry_run)
    layout = LAYOUTS[kind]
    try:
        table = locate_rows(read_sheet(data), layout)
    except ValidationError as exc:
        report.problems = [Problem(None, "", message) for message in exc.messages]
        return _audited(report, user)
    resource = RESOURCES[kind](
        user=user, writable_department_ids=_writable(user), default_department=chosen
    )
    dataset = table.dataset()
    dataset.row_numbers = table.row_numbers
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=dry_run, raise_errors=False)
    _read_result(report, result, resource, layout, table.row_numbers)
    report.marked_left = list(getattr(resource, "marked_left", []))
    return _audited(report, user)


def _read_result(report, result, resource, layout, row_numbers) -> None:
    for error in result.base_errors:
        report.problems.append(Problem(None, "", DATABASE_REFUSED % {"error": error.error}))
    for number, errors in result.row_errors():
        for error in errors:
            report.problems.append(
                Problem(
                    resource.sheet_row(number),
                    "",
                    UNEXPECTED % {"row": resource.sheet_row(number), "error": error.error},
                )
            )
    for invalid in result.invalid_rows:
        for field_name, messages in invalid.error_dict.items():
            for message in messages:
                report.problems.append(
                    Problem(resource.sheet_row(invalid.number), layout.label(field_name), message)
                )
    report.problems.sort(key=lambda p: p.row or 0)
    for index, row in enumerate(result.rows):
        sheet_row = row_numbers[index] if index < len(row_numbers) else index + 1
        if row.import_type == RowResult.IMPORT_TYPE_NEW:
            report.new.append((sheet_row, row.object_repr or ""))
        elif row.import_type == RowResult.IMPORT_TYPE_UPDATE:
            report.changed.append((sheet_row, row.object_repr or ""))
        elif row.import_type == RowResult.IMPORT_TYPE_SKIP:
            report.unchanged += 1


def _audited(report: ImportReport, user) -> ImportReport:
    """A confirmed import, done or refused, leaves one audit row; a dry run none."""
    if report.dry_run:
        return report
    model = "registry.Account" if report.kind == Kind.ACCOUNTS else "registry.Staff"
    detail = f"{model} from {report.file_name}: {report.summary()}"
    if not report.ok:
        detail = f"{model} from {report.file_name}: {len(report.problems)} errors, nothing saved"
    audit_record(
        action=AuditEvent.Action.IMPORTED,
        user=user,
        outcome=AuditEvent.Outcome.SUCCESS if report.ok else AuditEvent.Outcome.FAILURE,
        detail=detail,
    )
    return report
