"""The audit trail: who did what, from where, to what, and whether it worked. Append-only."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditImmutable(Exception):
    """An audit row was about to be changed or deleted; only the retention purge removes rows.

    The database refuses the same (audit/triggers.py); this says so before the query is sent.
    """


class AuditEventQuerySet(models.QuerySet):
    """Refuses update and delete, bulk_update included (it updates through ``update``)."""

    def update(self, **kwargs):
        # The one update allowed: a deleted user's rows lose the link (on_delete=SET_NULL), and
        # keep the user name as text.
        if kwargs == {"user": None}:
            return super().update(**kwargs)
        raise AuditImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditImmutable("Audit events cannot be deleted; the retention purge does.")

    def purge_before(self, cutoff) -> int:
        """Delete the rows older than ``cutoff``: the retention purge, the one path that deletes
        (the database refuses rows younger than the retention period all the same)."""
        deleted, _by_model = super(AuditEventQuerySet, self.filter(timestamp__lt=cutoff)).delete()
        return deleted


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOGOUT = "logout", _("Logged out")
        ACCESS_DENIED = "access_denied", _("Access denied")
        PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Personal data viewed")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
        IMPORTED = "imported", _("Spreadsheet imported")
        TRANSITION = "transition", _("State changed")
        UNLOCKED = "unlocked", _("Login unlocked")
        USER_DEACTIVATED = "user_deactivated", _("User deactivated")
        REMINDER_SENT = "reminder_sent", _("Reminder sent")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as text too, so the row still says who it was after the account is gone.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Django's own deletions and SET_NULL updates go through the base manager: ours.
        base_manager_name = "objects"
        ordering = ["-timestamp", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["user", "timestamp"], name="audit_event_user_time")]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("Audit events cannot be deleted one by one.")
