from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from newmedia import dbtriggers

        from .triggers import ACCOUNT_TALLY

        dbtriggers.declare(ACCOUNT_TALLY)
