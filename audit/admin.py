from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from newmedia.admins import ReadOnlyAdmin

from .details import detail_shown
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is written by the code and removed only by the retention purge."""

    list_display = [
        "timestamp",
        "username",
        "client_ip",
        "action",
        "outcome",
        "object_repr",
        "shown_detail",
    ]
    list_filter = ["action", "outcome", "timestamp"]
    search_fields = ["username", "client_ip", "object_repr", "detail"]
    date_hierarchy = "timestamp"
    list_per_page = 100
    # The change page, read-only: the detail and the record's kind as the list shows them.
    fields = [
        "timestamp",
        "username",
        "client_ip",
        "action",
        "outcome",
        "shown_object_type",
        "object_id",
        "object_repr",
        "shown_detail",
    ]
    readonly_fields = fields

    @admin.display(description=_("detail"))
    def shown_detail(self, obj):
        return detail_shown(obj.action, obj.detail)

    @admin.display(description=_("object type"))
    def shown_object_type(self, obj):
        """The record's kind by its name (账号), not its code (registry.Account)."""
        try:
            return apps.get_model(obj.object_type)._meta.verbose_name
        except (LookupError, ValueError):  # empty, or a model since removed
            return obj.object_type
