from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry")

    def ready(self):
        # Register how the trail shows an import and the rows about personal data.
        from . import import_audit, personal_data  # noqa: F401
