"""Run the clean-up checks now, as the nightly task does."""

from datetime import date

from django.core.management.base import BaseCommand

from cleanup import services


class Command(BaseCommand):
    help = "Re-evaluate the clean-up rules over every account and record the differences."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="evaluate as of this day")

    def handle(self, *args, day=None, **options):
        summary = services.findings_evaluate(today=day)
        self.stdout.write(
            "new {new}, still open {still_open} (details changed {changed}), "
            "resolved {resolved}".format(**summary.as_dict())
        )
