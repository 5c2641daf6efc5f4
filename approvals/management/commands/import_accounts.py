"""python manage.py import_accounts FILE [--department CODE] [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...services import imports
from ._options import department_by_code


class Command(BaseCommand):
    help = gettext_lazy(
        "Import a registration form, or an office's own QQ/WeChat/public-account sheets (xlsx, "
        "xls, CSV or a Word .docx table; every sheet of a workbook), for every department, all "
        "or nothing; new accounts open as drafts. Prints how each heading was read and every "
        "inferred value. --dry-run shows what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=gettext_lazy("the file to import"))
        parser.add_argument(
            "--department", help=gettext_lazy("code of the department for rows that name none")
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("check only, write nothing")
        )

    def handle(self, *args, file: Path, department=None, dry_run=False, **options):
        department = department_by_code(department)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("%(file)s cannot be read: %(error)s") % {"file": file, "error": exc.strerror}
            ) from None
        report = imports.sheet_import(
            user=None,
            kind=imports.Kind.ACCOUNTS,
            data=data,
            file_name=file.name,
            department=department,
            dry_run=dry_run,
        )
        for column in report.columns:
            read = column.field_label or _("(ignored)")
            self.stdout.write(f"[{column.sheet}] {column.heading} → {read} {column.note}".rstrip())
        for note in report.notes:
            self.stdout.write(note)
        for row in report.inferred:
            self.stdout.write(
                _("[%(sheet)s] row %(row)s, %(name)s: inferred %(values)s")
                % {
                    "sheet": row.sheet,
                    "row": row.row,
                    "name": row.name,
                    "values": "，".join(f"{label}={value}" for label, value in row.values),
                }
            )
        for item in report.info:
            self.stdout.write(
                _("[%(sheet)s] row %(row)s: %(message)s")
                % {"sheet": item.sheet, "row": item.row, "message": item.message}
            )
        for problem in report.problems:
            sheet = f"[{problem.sheet}] " if problem.sheet else ""
            where = (
                sheet
                + _("row %(row)s, %(column)s: ") % {"row": problem.row, "column": problem.column}
                if problem.row
                else ""
            )
            self.stderr.write(f"{where}{problem.message}")
        if not report.ok:
            raise CommandError(
                _("%(count)s problems: nothing was imported.") % {"count": len(report.problems)}
            )
        done = _("Dry run, nothing written: %(summary)s") if dry_run else _("Imported: %(summary)s")
        self.stdout.write(done % {"summary": report.summary()})
