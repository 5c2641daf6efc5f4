from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
