"""Group robots (群机器人) and the messages owed to them: an outbox of its own, written in the
transaction of the event it reports, one row per robot and event."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Department

from .platforms import PLATFORMS, PlatformName, masked, url_problem


class RobotQuerySet(models.QuerySet):
    def for_department(self, department):
        """The active robots of a department's group; ``None``: the reviewers' group."""
        robots = self.filter(is_active=True)
        if department is None:
            return robots.filter(department__isnull=True)
        return robots.filter(department=department)

    def by_department(self, department_ids) -> dict[int, list]:
        """The active robots of these departments, by department id (one query)."""
        robots: dict[int, list] = {}
        for robot in self.filter(is_active=True, department_id__in=list(department_ids)):
            robots.setdefault(robot.department_id, []).append(robot)
        return robots


class Robot(models.Model):
    """A WeCom or DingTalk group robot: a department's group, or (no department) the reviewers'."""

    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=10, choices=PlatformName.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="robots",
        verbose_name=_("department"),
        help_text=_("Leave empty for the reviewers' group."),
    )
    # The address carries the robot's key: a secret, never shown back in full nor logged.
    webhook_url = models.CharField(_("webhook address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    is_active = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    # Set by the first failure since the last success; the command centre lists failing robots.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    objects = RobotQuerySet.as_manager()

    class Meta:
        ordering = ["department__code", "name", "pk"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self):
        return self.name

    @property
    def spec(self):
        return PLATFORMS[self.platform]

    @property
    def webhook_masked(self) -> str:
        return masked(self.webhook_url)

    def clean(self):
        if self.platform not in PLATFORMS:
            return
        problem = url_problem(self.spec, self.webhook_url)
        if problem:
            raise ValidationError({"webhook_url": problem})
        if not self.spec.signed:
            self.secret = ""


class RobotMessageQuerySet(models.QuerySet):
    def owed(self):
        """Unsent messages of active robots not handed to the broker, or to a worker, recently."""
        stale = timezone.now() - timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS)
        return self.filter(sent_at__isnull=True, robot__is_active=True).filter(
            Q(queued_at__isnull=True) | Q(queued_at__lt=stale)
        )


class RobotMessage(models.Model):
    """One Markdown message for one robot about one event (``event``: unique per robot)."""

    robot = models.ForeignKey(
        Robot, on_delete=models.CASCADE, related_name="messages", verbose_name=_("group robot")
    )
    event = models.CharField(_("event"), max_length=120)
    title = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # Taken by the worker that posts it, before posting: a redelivered task finds it taken.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The last post tried: what the rate limit (NEWMEDIA_ROBOT_PER_MINUTE) counts.
    attempted_at = models.DateTimeField(_("attempted at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    objects = RobotMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("robot message")
        verbose_name_plural = _("robot messages")
        constraints = [
            models.UniqueConstraint(fields=["robot", "event"], name="robots_message_once")
        ]
        indexes = [
            models.Index(
                fields=["robot", "attempted_at"],
                condition=Q(attempted_at__isnull=False),
                name="robots_message_attempted",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="robots_message_owed",
            ),
        ]

    def __str__(self):
        return self.title
