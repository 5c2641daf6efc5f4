"""Spreadsheet import and export of the register through django-import-export."""

from import_export import fields, resources
from import_export.widgets import CharWidget, ForeignKeyWidget

from .models import Account, Department, Staff
from .personal_data import mask_phone


class AllOrNothingResource(resources.ModelResource):
    """An import with any invalid row writes nothing (by default the library keeps valid rows)."""

    def import_data(self, dataset, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    class Meta:
        clean_model_instances = True  # full_clean each row: the model's rules, in words
        skip_unchanged = True
        report_skipped = True
        use_transactions = True


class PhoneField(fields.Field):
    """A phone-number column, written out masked unless its resource was told otherwise."""

    unmasked = False  # set per resource instance, on its own copy of the field

    def __init__(self, name: str):
        super().__init__(attribute=name, column_name=name, widget=CharWidget(allow_blank=True))

    def export(self, instance, **kwargs):
        value = super().export(instance, **kwargs)
        return value if self.unmasked else mask_phone(value)

    def save(self, instance, row, is_m2m=False, **kwargs):
        # A masked export sent back unchanged carries the mask of the stored number: keep the
        # number, instead of refusing the whole file for a value that was never edited.
        cell = str(row.get(self.column_name) or "").strip()
        stored = self.get_value(instance)
        if "*" in cell and stored and mask_phone(stored) == cell:
            return
        super().save(instance, row, is_m2m, **kwargs)


class PhoneMaskingResource(AllOrNothingResource):
    """Phone columns go out masked (exports, the import preview) unless ``unmask_phones``.

    Only the admin decides ``unmask_phones``, from the permission and the stated reason
    (``registry.personal_data``).
    """

    def __init__(self, *, unmask_phones: bool = False, **kwargs):
        super().__init__(**kwargs)
        for field in self.fields.values():
            if isinstance(field, PhoneField):
                field.unmasked = unmask_phones


class DepartmentResource(AllOrNothingResource):
    class Meta(AllOrNothingResource.Meta):
        model = Department
        import_id_fields = ["code"]
        fields = ["code", "name", "kind"]


class StaffResource(PhoneMaskingResource):
    phone = PhoneField("phone")
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=ForeignKeyWidget(Department, "code"),
    )

    class Meta(AllOrNothingResource.Meta):
        model = Staff
        import_id_fields = ["staff_number"]
        fields = [
            "staff_number",
            "name",
            "department",
            "post",
            "phone",
            "status",
            "left_on",
        ]


class AccountResource(PhoneMaskingResource):
    owner_phone = PhoneField("owner_phone")
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=ForeignKeyWidget(Department, "code"),
    )

    class Meta(AllOrNothingResource.Meta):
        model = Account
        # The approval state is not a column: it moves only through transitions.
        fields = ["id", *Account.FORM_COLUMNS, "rules_acknowledged"]
