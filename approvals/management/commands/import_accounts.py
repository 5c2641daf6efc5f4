"""python manage.py import_accounts FILE [--department CODE] [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.models import Department

from ...services import imports


class Command(BaseCommand):
    help = (
        "Import a registration form, or an office's own QQ/WeChat/public-account sheets (xlsx, "
        "xls, CSV or a Word .docx table; every sheet of a workbook), for every department, all "
        "or nothing; new accounts open as drafts. Prints how each heading was read and every "
        "inferred value. --dry-run shows what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--department", help="code of the department for rows that name none")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, file: Path, department=None, dry_run=False, **options):
        if department:
            department = Department.objects.filter(code=department).first()
            if department is None:
                raise CommandError(f"No department has the code {options['department']!r}.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from None
        report = imports.sheet_import(
            user=None,
            kind=imports.Kind.ACCOUNTS,
            data=data,
            file_name=file.name,
            department=department,
            dry_run=dry_run,
        )
        for column in report.columns:
            read = column.field_label or "(ignored)"
            self.stdout.write(f"[{column.sheet}] {column.heading} -> {read} {column.note}".rstrip())
        for note in report.notes:
            self.stdout.write(note)
        for row in report.inferred:
            values = ", ".join(f"{label}={value}" for label, value in row.values)
            self.stdout.write(f"[{row.sheet}] row {row.row} {row.name}: inferred {values}")
        for item in report.info:
            self.stdout.write(f"[{item.sheet}] row {item.row}: {item.message}")
        for problem in report.problems:
            sheet = f"[{problem.sheet}] " if problem.sheet else ""
            where = f"{sheet}row {problem.row}, {problem.column}: " if problem.row else ""
            self.stderr.write(f"{where}{problem.message}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems: nothing was imported.")
        prefix = "Dry run, nothing written: " if dry_run else "Imported: "
        self.stdout.write(prefix + report.summary())
