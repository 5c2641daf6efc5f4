"""Run the daily reminder sweep by hand, e.g. where no Celery beat runs."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from approvals.services.reminders import reminders_sweep
from approvals.tasks import flush_outbox


class Command(BaseCommand):
    help = "Remind late departments at today's milestone (or send the overdue digest) now."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to sweep as, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be sent, send nothing"
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        try:
            day = _parse(date)
        except ValueError:
            raise CommandError(f"--date {date!r} is not a date like 2027-06-01.") from None
        result = reminders_sweep(today=day, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        campaign = result.campaign.title if result.campaign else "-"
        self.stdout.write(f"{result.day.isoformat()} · {campaign}")
        if result.note:
            self.stdout.write(f"Nothing due: {result.note}.")
        if result.milestone is not None:
            self.stdout.write(f"Milestone: {result.milestone} days before the deadline.")
        for department, username, days_left in result.reminders:
            self.stdout.write(
                f"  {verb} reminder: {department} → {username} ({days_left} days left)"
            )
        for username in result.digests:
            self.stdout.write(f"  {verb} overdue digest → {username} ({len(result.late)} late)")
        if not dry_run:
            # Without a Celery beat (the embedded default) nothing else flushes the outbox.
            flushed = flush_outbox()
            self.stdout.write(f"Unsent emails queued again: {result.queued + flushed}.")


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
