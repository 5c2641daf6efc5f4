"""Precomputed counts of the register, for the pages that total it (the command centre, its
charts, the public summary) at 1,000 departments and 100,000 accounts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import Department

__all__ = ["AccountTally", "SchoolTally"]


class Counted(models.Model):
    """A tally's key and count: accounts on a platform, in a state (``""`` for an account
    without a filing yet, ``approvals.triggers.NO_FILING``) and kind of closure."""

    platform = models.CharField(_("platform"), max_length=20)
    state = models.CharField(_("state"), max_length=50)
    closure_kind = models.CharField(_("closure kind"), max_length=20, blank=True)
    n = models.IntegerField(_("accounts"))

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.platform} {self.state} {self.closure_kind}: {self.n}"


class AccountTally(Counted):
    """How many accounts of a department are on each platform in each state (with the kind of
    closure, for those being closed or closed).

    Kept by the database itself, not by Django: triggers on ``approvals_filing`` and
    ``registry_account`` (approvals/triggers.py, for SQLite and PostgreSQL) add a row of +1 or
    -1 (a delta) as rows are inserted, updated or deleted, by any path: a service, the admin, a
    bulk import, a raw query. A beat task folds each key's rows into one
    (``dbtriggers.compact()``). Never write to it; read it summed (``Sum("n")``).
    """

    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="tallies",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("account tally")
        verbose_name_plural = _("account tallies")
        # Covering: a page of departments' counts by state is read from the index alone.
        indexes = [
            models.Index(
                fields=["department", "state", "platform", "closure_kind", "n"],
                name="approvals_tally_by_department",
            )
        ]

    def __str__(self):
        return f"{self.department_id} {super().__str__()}"


class SchoolTally(Counted):
    """How many accounts of the whole register are on each platform in each state (with the
    kind of closure): the charts, the dashboard and the summary of a reviewer, who sees every
    department, without summing a row per department.

    Kept like ``AccountTally``, by the same triggers, as deltas folded by the same beat task:
    every filing write of the school adds its own rows instead of updating the same few. Never
    write to it; read it summed (``Sum("n")``).
    """

    class Meta:
        verbose_name = _("school-wide account tally")
        verbose_name_plural = _("school-wide account tallies")
