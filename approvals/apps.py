from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_migrate

        from newmedia import dbtriggers

        from . import audit_details  # noqa: F401  (registers how the trail shows our steps)
        from .triggers import ACCOUNT_TALLY

        dbtriggers.declare(ACCOUNT_TALLY)
        # After auth has made this app's permissions (its own post_migrate handler runs first).
        post_migrate.connect(_grant_step_permissions, sender=self, dispatch_uid="approvals_grants")
        # A leader leaving a signing group may leave a 会签 level with nobody to wait for.
        m2m_changed.connect(
            _members_left,
            sender=get_user_model().groups.through,
            dispatch_uid="approvals_members_left",
        )


def _grant_step_permissions(sender, using="default", **kwargs):
    from .services.steps import step_permissions_grant

    step_permissions_grant(using=using)


def _members_left(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_remove", "post_clear"):
        return
    from django.contrib.auth.models import Group

    from .services.filings import signoffs_settle

    # user.groups.remove(group): the groups are in pk_set; group.user_set.remove(user): the
    # instance is the group. A clear says no pks: every group of the user may be concerned.
    if isinstance(instance, Group):
        group_ids = {instance.pk}
    elif pk_set:
        group_ids = set(pk_set)
    else:
        group_ids = set(Group.objects.values_list("pk", flat=True))
    signoffs_settle(group_ids=group_ids)
