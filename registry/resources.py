"""Spreadsheet import and export of the register through django-import-export."""

from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from .models import Account, Department, Staff


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


class DepartmentResource(AllOrNothingResource):
    class Meta(AllOrNothingResource.Meta):
        model = Department
        import_id_fields = ["code"]
        fields = ["code", "name", "kind"]


class StaffResource(AllOrNothingResource):
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


class AccountResource(AllOrNothingResource):
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=ForeignKeyWidget(Department, "code"),
    )

    class Meta(AllOrNothingResource.Meta):
        model = Account
        # The approval state is not a column: it moves only through transitions.
        fields = ["id", *Account.FORM_COLUMNS, "rules_acknowledged"]
