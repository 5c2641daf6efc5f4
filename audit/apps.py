from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from newmedia import dbtriggers

        from . import signals
        from .triggers import append_only

        signals.connect()
        # The database refuses to change the trail, or to delete it before its time.
        dbtriggers.declare(append_only())
