from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleanupConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cleanup"
    verbose_name = _("Clean-up checks")

    def ready(self):
        from newmedia import dbtriggers

        from .triggers import FINDING_TALLY

        dbtriggers.declare(FINDING_TALLY)
