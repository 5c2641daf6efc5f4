"""What the apps' admins share (no registrations here: newmedia/admin.py registers)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that the services alone write (logs, the outbox, findings, the audit trail): the
    admin shows them, and neither adds, changes nor deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
