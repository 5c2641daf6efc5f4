from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.results import RowResult

from audit.models import AuditEvent
from audit.services import audit_record

from . import personal_data, roles
from .formats import EXPORT_FORMATS
from .forms import NamedFieldsExportForm, PersonalDataExportForm
from .import_audit import import_audited
from .layouts import STAFF
from .models import ColumnMapping, Department, Staff
from .resources import (
    DepartmentResource,
    StaffResource,
    StaffRosterResource,
    sheet_formats,
    with_preview_diff,
)

NOTHING_EXPORTED = _("Nothing was exported: see the form below.")


class NoDeleteAdmin(admin.ModelAdmin):
    """Nothing in the register is ever hard-deleted: people leave, accounts close."""

    def has_delete_permission(self, request, obj=None):
        return False


class SafeExportMixin:
    """The admin's exports write formula-like text whole and as text (registry.formats)."""

    export_formats = EXPORT_FORMATS


class AuditedImportMixin:
    """Every confirmed spreadsheet import leaves an audit row: the model, the file, the counts."""

    def process_dataset(self, dataset, form, request, **kwargs):
        # The library calls this only for the real import (dry_run=False), never for the preview.
        file_name = kwargs.get("file_name") or form.cleaned_data.get("original_file_name", "")
        result = super().process_dataset(dataset, form, request, **kwargs)
        totals = result.totals
        failed = result.has_errors() or result.has_validation_errors()
        # All or nothing: when it failed, the counts were rolled back.
        errors = totals[RowResult.IMPORT_TYPE_ERROR] + totals[RowResult.IMPORT_TYPE_INVALID]
        import_audited(
            user=request.user,
            model=self.model._meta.label,
            file_name=file_name,
            new=totals[RowResult.IMPORT_TYPE_NEW],
            updated=totals[RowResult.IMPORT_TYPE_UPDATE],
            skipped=totals[RowResult.IMPORT_TYPE_SKIP],
            errors=errors + len(result.base_errors) if failed else None,
        )
        return result


class SheetImportAdminMixin:
    """The admin imports the same spreadsheets as the site (``registry.layouts``), read by the
    same safe reader, as a user who writes only the departments they file for (reviewers and
    superusers: all); the export keeps the admin's own resource."""

    sheet_layout = None
    import_resource_class = None

    def get_import_formats(self):
        return sheet_formats(self.sheet_layout)

    def get_import_resource_classes(self, request):
        return [with_preview_diff(self.import_resource_class)]

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        resource_kwargs["user"] = request.user
        resource_kwargs["writable_department_ids"] = (
            None if roles.sees_all(request.user) else roles.filer_department_ids(request.user)
        )
        return resource_kwargs

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ValidationError):  # the reader's own words: empty, too large, …
            form.add_error("import_file", e.messages)
        else:
            super().add_data_read_fail_error_to_form(form, e)


def _phone_label(model, name: str):
    return model._meta.get_field(name).verbose_name


def _phone_column(model, name: str, user):
    """A list column showing the number whole or masked, row by row, for this user."""

    @admin.display(description=_phone_label(model, name))
    def column(obj):
        return personal_data.shown_phone(
            getattr(obj, name), user=user, department_id=obj.department_id
        )

    column.__name__ = name  # the column's CSS class
    return column


def _masked_display(model, name: str):
    """A read-only stand-in for a phone field, always masked."""

    @admin.display(description=_phone_label(model, name))
    def masked(obj):
        return personal_data.mask_phone(getattr(obj, name))

    return masked


def _masked(name: str) -> str:
    return f"{name}_masked"


class PersonalDataAdminMixin:
    """Phone numbers in the admin follow ``registry.personal_data``: masked for whoever may not
    see the record's numbers whole (list, change page, search), audited when shown whole, and
    exported masked unless the user holds the permission and states a reason."""

    export_form_class = PersonalDataExportForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone_fields = personal_data.phone_fields(self.model)
        for name in self.phone_fields:
            setattr(self, _masked(name), _masked_display(self.model, name))

    def _masks_phones(self, request, obj) -> bool:
        return obj is not None and not personal_data.may_see_phones(request.user, obj.department_id)

    def get_list_display(self, request):
        list_display = super().get_list_display(request)
        if roles.sees_all(request.user):
            return list_display
        return [
            _phone_column(self.model, name, request.user) if name in self.phone_fields else name
            for name in list_display
        ]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if roles.sees_all(request.user):
            return fields
        # A search by number would tell whether a masked number is the one typed in.
        return [name for name in fields if name not in self.phone_fields]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if not self._masks_phones(request, obj):
            return fields
        # The phone fields leave the form (so a save keeps the stored number) and a masked,
        # read-only stand-in takes their place.
        shown = []
        for name in fields:
            name = _masked(name) if name in self.phone_fields else name
            if name not in shown:
                shown.append(name)
        return shown

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._masks_phones(request, obj):
            readonly += [_masked(name) for name in self.phone_fields]
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}  # none on a redirect
        if context.get("original"):
            personal_data.personal_data_viewed(
                user=request.user, objects=[context["original"]], detail=request.path
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        shows_phones = any(name in self.list_display for name in self.phone_fields)
        context = getattr(response, "context_data", None) or {}  # none on a redirect
        if shows_phones and "cl" in context:
            # The page's rows, read once: the template reuses the evaluated queryset.
            personal_data.personal_data_viewed(
                user=request.user,
                objects=context["cl"].result_list,
                detail=request.path,
            )
        return response

    def get_import_resource_kwargs(self, request, **kwargs):
        # The import preview shows stored numbers: whole only to those who see every department.
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        resource_kwargs["unmask_phones"] = roles.sees_all(request.user)
        return resource_kwargs

    def get_export_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_export_resource_kwargs(request, **kwargs)
        resource_kwargs["unmask_phones"] = _unmask_requested(
            kwargs.get("export_form")
        ) and personal_data.may_export_phones(request.user)
        return resource_kwargs

    def get_data_for_export(self, request, queryset, **kwargs):
        form = kwargs.get("export_form")
        unmask = _unmask_requested(form)
        if unmask and not personal_data.may_export_phones(request.user):
            audit_record(
                action=AuditEvent.Action.ACCESS_DENIED,
                user=request.user,
                outcome=AuditEvent.Outcome.FAILURE,
                detail=f"unmasked export of {self.model._meta.label}",
            )
            form.add_error("unmask_phones", personal_data.EXPORT_NOT_PERMITTED)
            # The library answers a ValueError with its message and the form, errors shown.
            raise ValueError(str(NOTHING_EXPORTED))
        data = super().get_data_for_export(request, queryset, **kwargs)
        if unmask:
            file_format = self.get_export_formats()[int(form.cleaned_data["format"])]
            personal_data.personal_data_exported(
                user=request.user,
                model=self.model,
                rows=len(data),
                file_format=file_format().get_title(),
                reason=form.cleaned_data["reason"],
            )
        return data


def _unmask_requested(form) -> bool:
    return bool(form is not None and form.cleaned_data.get("unmask_phones"))


@admin.register(Department)
class DepartmentAdmin(SafeExportMixin, AuditedImportMixin, NoDeleteAdmin, ImportExportModelAdmin):
    resource_classes = [DepartmentResource]
    export_form_class = NamedFieldsExportForm
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    filter_horizontal = ["filers", "heads"]


@admin.register(Staff)
class StaffAdmin(
    SafeExportMixin,
    SheetImportAdminMixin,
    PersonalDataAdminMixin,
    AuditedImportMixin,
    NoDeleteAdmin,
    ImportExportModelAdmin,
):
    resource_classes = [StaffResource]
    sheet_layout = STAFF
    import_resource_class = StaffRosterResource
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


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    """The departments' answers for headings the import does not know (fix or remove one)."""

    list_display = ["department", "heading", "field", "updated_at"]
    list_filter = ["department"]
    search_fields = ["heading"]
    autocomplete_fields = ["department"]
