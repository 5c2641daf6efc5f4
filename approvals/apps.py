from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from django.db.models.signals import post_migrate

        from newmedia import dbtriggers

        from .triggers import ACCOUNT_TALLY

        dbtriggers.declare(ACCOUNT_TALLY)
        # After auth has made this app's permissions (its own post_migrate handler runs first).
        post_migrate.connect(_grant_step_permissions, sender=self, dispatch_uid="approvals_grants")


def _grant_step_permissions(sender, using="default", **kwargs):
    from .services.steps import step_permissions_grant

    step_permissions_grant(using=using)
