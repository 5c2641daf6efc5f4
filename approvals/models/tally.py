"""Precomputed counts of the register, for the pages that total it (the command centre, its
charts, the public summary) at 1,000 departments and 100,000 accounts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import Department

__all__ = ["AccountTally"]


class AccountTally(models.Model):
    """How many accounts of a department are on each platform in each state (with the kind of
    closure, for those being closed or closed).

    Kept by the database itself, not by Django: triggers on ``approvals_filing`` and
    ``registry_account`` (approvals/triggers.py, for SQLite and PostgreSQL) add and subtract as
    rows are inserted, updated or deleted, by any path: a service, the admin, a bulk import, a
    raw query.
    Never write to it; read it summed (``Sum("n")``). A count that falls to zero stays as a row.
    """

    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="tallies",
        verbose_name=_("department"),
    )
    platform = models.CharField(_("platform"), max_length=20)
    state = models.CharField(_("state"), max_length=50)
    closure_kind = models.CharField(_("closure kind"), max_length=20, blank=True)
    n = models.IntegerField(_("accounts"))

    class Meta:
        verbose_name = _("account tally")
        verbose_name_plural = _("account tallies")
        # Covering indexes: the school-wide totals (by platform, by state, by kind of closure)
        # are read from the index alone, in key order, without sorting.
        indexes = [
            models.Index(
                fields=["platform", "state", "closure_kind", "n"],
                name="approvals_tally_by_platform",
            ),
            models.Index(
                fields=["state", "closure_kind", "platform", "n"], name="approvals_tally_by_state"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "platform", "state", "closure_kind"],
                name="approvals_tally_one_row_per_key",
            )
        ]

    def __str__(self):
        return f"{self.department_id} {self.platform} {self.state} {self.closure_kind}: {self.n}"
