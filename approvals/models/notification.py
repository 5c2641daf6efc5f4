"""What the system tells people: in-app notifications that double as the email outbox, and the
logs that make each reminder a database fact, sent once however often the sweep runs."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Department

from .campaign import Campaign

WEB_ADDRESS = re.compile(r"\s*https?://\S+")


class NotificationQuerySet(models.QuerySet):
    def email_owed(self):
        """Emails not sent yet and not handed to the broker (or to a worker) recently: what the
        outbox flush and the sweep queue. A mail queued a moment ago is left to its task."""
        stale = timezone.now() - timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS)
        return (
            self.filter(email_sent_at__isnull=True)
            .exclude(email_to="")
            .filter(Q(email_queued_at__isnull=True) | Q(email_queued_at__lt=stale))
        )


class Notification(models.Model):
    """A message for one person (or a mailbox), shown on the dashboard and sent by email.

    Written in the same transaction as the change it reports, so a rolled-back change tells
    nobody; the email goes out afterwards, from a task, and ``email_sent_at`` records it once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    email_to = models.EmailField(_("email address"), blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    body_html = models.TextField(_("HTML text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    # When its email task was last handed to the broker, or taken by a worker: the flush and the
    # sweep leave it alone for NEWMEDIA_OUTBOX_REQUEUE_SECONDS after that.
    email_queued_at = models.DateTimeField(_("email queued at"), null=True, blank=True)
    # Set by the worker that sends it, before sending, in a transaction of its own: with the
    # attempt count, the durable record that a send began (cleared again when the send failed).
    email_claimed_at = models.DateTimeField(_("email claimed at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_error = models.CharField(_("last email error"), max_length=300, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="approvals_notice_unread"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_sent_at__isnull=True) & ~Q(email_to=""),
                name="approvals_notice_outbox",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(email_to=""),
                name="approvals_notice_has_someone",
            )
        ]

    def __str__(self):
        return self.subject

    @property
    def path(self) -> str:
        """The link's page on this site, wherever the site is being served."""
        parts = urlsplit(self.link)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def text_on_site(self) -> str:
        """The text as a page shows it, where links are links: without the e-mail's web
        addresses, and without the lines ("Open it:") that only introduced one."""
        lines = []
        for line in self.body.splitlines():
            bare = WEB_ADDRESS.sub("", line)
            if bare != line and bare.rstrip().endswith((":", "：")):
                continue
            lines.append(bare)
        return "\n".join(lines).strip()


class SentReminder(models.Model):
    """What is kept of every reminder: the campaign and department it was about, who received
    it and the notification that carried it."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recipient"),
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.PROTECT, related_name="+", verbose_name=_("notification")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class ReminderLog(SentReminder):
    """One reminder per campaign, department, milestone and recipient: the unique constraint is
    what keeps a rerun, a retry or a second worker from sending it twice."""

    milestone = models.PositiveSmallIntegerField(_("days before the deadline"))

    class Meta(SentReminder.Meta):
        verbose_name = _("reminder")
        verbose_name_plural = _("reminder log")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "department", "milestone", "recipient"],
                name="approvals_reminder_once",
            )
        ]

    def __str__(self):
        return f"{self.department} · {self.milestone} · {self.recipient}"


class OverdueDigestLog(models.Model):
    """One overdue digest a day per reviewer, once the deadline has passed."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", verbose_name=_("campaign")
    )
    day = models.DateField(_("day"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recipient"),
    )
    notification = models.OneToOneField(
        Notification, on_delete=models.PROTECT, related_name="+", verbose_name=_("notification")
    )

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("overdue digest")
        verbose_name_plural = _("overdue digests")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "day", "recipient"], name="approvals_digest_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.day} · {self.recipient}"


class ManualReminderLog(SentReminder):
    """A reviewer's one-click reminder to a department: once a day per campaign, department and
    recipient, so a double click or a second reviewer the same day sends nothing more."""

    day = models.DateField(_("day"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta(SentReminder.Meta):
        verbose_name = _("reminder sent by hand")
        verbose_name_plural = _("reminders sent by hand")
        # The constraint's index also serves "the department's last reminder" (its prefix).
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "department", "day", "recipient"],
                name="approvals_manual_reminder_once_a_day",
            )
        ]

    def __str__(self):
        return f"{self.department} · {self.day} · {self.recipient}"


class EscalationLog(models.Model):
    """A reminder that a filing has waited too long at its step: once a day per filing and
    recipient (its assignee, or a leader in the daily digest), whatever reruns or retries."""

    filing = models.ForeignKey(
        "approvals.Filing", on_delete=models.CASCADE, related_name="+", verbose_name=_("filing")
    )
    day = models.DateField(_("day"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recipient"),
    )
    to_leader = models.BooleanField(_("in the leaders' digest"), default=False)
    notification = models.ForeignKey(
        Notification, on_delete=models.PROTECT, related_name="+", verbose_name=_("notification")
    )

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "day", "recipient"], name="approvals_escalation_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.filing} · {self.day} · {self.recipient}"
