"""Run the daily reminder sweep by hand, e.g. where no Celery beat runs."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.services.reminders import reminders_sweep
from approvals.tasks import flush_outbox


class Command(BaseCommand):
    help = gettext_lazy(
        "Remind late departments at today's milestone (or send the overdue digest) now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("the day to sweep as, YYYY-MM-DD (default: today)"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("print what would be sent, send nothing")
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        try:
            day = _parse(date)
        except ValueError:
            raise CommandError(
                _("--date “%(value)s” is not a date like 2027-06-01.") % {"value": date}
            ) from None
        result = reminders_sweep(today=day, dry_run=dry_run)
        reminder = _("would send reminder") if dry_run else _("sent reminder")
        digest = _("would send overdue digest") if dry_run else _("sent overdue digest")
        campaign = result.campaign.title if result.campaign else "-"
        self.stdout.write(f"{result.day.isoformat()} · {campaign}")
        if result.note:
            self.stdout.write(_("Nothing due: %(why)s.") % {"why": result.note})
        if result.milestone is not None:
            self.stdout.write(
                _("Milestone: %(days)s days before the deadline.") % {"days": result.milestone}
            )
        for department, username, days_left in result.reminders:
            self.stdout.write(
                "  "
                + _("%(what)s: %(department)s → %(user)s (%(days)s days left)")
                % {"what": reminder, "department": department, "user": username, "days": days_left}
            )
        for username in result.digests:
            self.stdout.write(
                "  "
                + _("%(what)s → %(user)s (%(late)s late)")
                % {"what": digest, "user": username, "late": len(result.late)}
            )
        if not dry_run:
            # Without a Celery beat (the embedded default) nothing else flushes the outbox.
            flushed = flush_outbox()
            self.stdout.write(
                _("Unsent emails and robot messages queued again: %(count)s.")
                % {"count": result.queued + flushed}
            )


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
