from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .models import Department, Staff
from .resources import DepartmentResource, StaffResource


class NoDeleteAdmin(admin.ModelAdmin):
    """Nothing in the register is ever hard-deleted: people leave, accounts close."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(NoDeleteAdmin, ImportExportModelAdmin):
    resource_classes = [DepartmentResource]
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    filter_horizontal = ["filers"]


@admin.register(Staff)
class StaffAdmin(NoDeleteAdmin, ImportExportModelAdmin):
    resource_classes = [StaffResource]
    list_display = [
        "staff_number",
        "name",
        "department",
        "post",
        "phone",
        "status",
        "left_on",
    ]
    list_filter = ["status", "department"]
    list_select_related = ["department"]
    search_fields = ["staff_number", "name", "phone"]
    autocomplete_fields = ["department"]
