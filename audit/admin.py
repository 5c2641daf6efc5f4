from django.contrib import admin

from newmedia.admins import ReadOnlyAdmin

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
        "detail",
    ]
    list_filter = ["action", "outcome", "timestamp"]
    search_fields = ["username", "client_ip", "object_repr", "detail"]
    date_hierarchy = "timestamp"
    list_per_page = 100
