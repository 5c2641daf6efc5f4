"""Run the clean-up checks now, as the nightly task does."""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cleanup import services


class Command(BaseCommand):
    help = gettext_lazy(
        "Re-evaluate the clean-up rules over every account and record the differences."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--day", type=date.fromisoformat, help=gettext_lazy("evaluate as of this day")
        )

    def handle(self, *args, day=None, **options):
        summary = services.findings_evaluate(today=day)
        self.stdout.write(
            _(
                "new %(new)s, still open %(still_open)s (details changed %(changed)s), "
                "resolved %(resolved)s"
            )
            % summary.as_dict()
        )
