"""python manage.py export_register [--department CODE] -o FILE"""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...services import exports
from ._options import department_by_code


class Command(BaseCommand):
    help = gettext_lazy(
        "Write the registration form of one department (--department), laid out as on paper, or "
        "the school-wide register with each account's state; xlsx, or CSV when FILE ends in "
        ".csv. Phone numbers are written whole: this is the office's own copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", help=gettext_lazy("the department's code"))
        parser.add_argument(
            "-o", "--output", type=Path, required=True, help=gettext_lazy("the file to write")
        )

    def handle(self, *args, department=None, output: Path, **options):
        department = department_by_code(department)
        file_format = "csv" if output.suffix.lower() == ".csv" else "xlsx"
        if department and file_format == "xlsx":
            content = exports.form_xlsx(
                department=department, mask=False, campaign=exports.active_campaign()
            )
        else:
            content = exports.register_content(
                accounts=exports.register_accounts(user=None, department=department),
                file_format=file_format,
                scope=exports.register_scope(department=department),
                mask=False,
                filled_in_by="",
            )
        output.write_bytes(content)
        self.stdout.write(
            _("Wrote %(file)s (%(day)s).")
            % {"file": output, "day": f"{timezone.localdate():%Y-%m-%d}"}
        )
