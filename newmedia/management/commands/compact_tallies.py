"""Fold the tallies' deltas, one row per key: what the beat does every minute
(``newmedia.tasks.compact_tallies``), for a site that runs without it (``make run``, cron)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from newmedia import dbtriggers


class Command(BaseCommand):
    help = "Fold the tallies' deltas into one row per key (the beat does it every minute)."

    def handle(self, **options):
        removed = dbtriggers.compact()
        self.stdout.write(_("%(rows)d tally rows folded.") % {"rows": removed})
