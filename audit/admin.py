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

    @admin.display(description=_("detail"))
    def shown_detail(self, obj):
        return detail_shown(obj.action, obj.detail)
