"""What the API reads and accepts. The output is the form's columns (``Account.FORM_COLUMNS``)
with the approval state; what is accepted is checked for its types here and then by the pages'
own ``AccountForm`` and services: there is no second set of rules."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import Campaign, DepartmentReturn, Filing
from cleanup.models import Finding
from registry.models import Account
from registry.personal_data import phone_fields, shown_phone

WRITABLE = (*Account.FORM_COLUMNS, "platform_name")


class AccountSerializer(serializers.ModelSerializer):
    """An account as the API shows it (output only, like the other model serializers here)."""

    state = serializers.ChoiceField(source="filing.state", choices=Filing.State.choices)
    state_label = serializers.CharField(source="filing.get_state_display")
    department_name = serializers.CharField(source="department.name")

    class Meta:
        model = Account
        fields = ["id", "version", "state", "state_label", "department_name", *WRITABLE]

    def to_representation(self, account):
        data = super().to_representation(account)
        user = self.context["request"].user
        for name in phone_fields(Account):
            data[name] = shown_phone(data[name], user=user, department_id=account.department_id)
        return data


def _input_field(model_field):
    """The JSON type of one column, checked before the form reads it: a wrong type is a 400,
    never a server error."""
    if model_field.is_relation:
        return serializers.IntegerField(required=False, allow_null=model_field.null, min_value=1)
    field = serializers.ModelSerializer().build_standard_field(model_field.name, model_field)
    field_class, kwargs = field
    kwargs = {k: v for k, v in kwargs.items() if k not in ("validators", "required", "default")}
    return field_class(required=False, **kwargs)


class AccountInputSerializer(serializers.Serializer):
    """A draft's columns: any may be left out when editing (kept as they are). The state, the
    id and the version are not columns: sent here they are ignored."""

    rules_acknowledged = serializers.BooleanField(required=False)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The version you read: an edit made since is refused (409)."),
    )

    def get_fields(self):
        fields = {name: _input_field(Account._meta.get_field(name)) for name in WRITABLE}
        return {**fields, **super().get_fields()}


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField())


class StepSerializer(serializers.Serializer):
    step = serializers.CharField(max_length=50, help_text=_("A step offered (see the actions)."))
    expected_state = serializers.ChoiceField(
        choices=Filing.State.choices,
        required=False,
        help_text=_("The state you read: if the account moved since, the step is refused (409)."),
    )
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    arguments = serializers.DictField(
        required=False,
        help_text=_("The step's other fields, as its form on the account page names them."),
    )


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "kind", "title", "document_number", "starts_on", "deadline", "is_active"]


class ReturnSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name")
    state_label = serializers.CharField(source="get_state_display")
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = DepartmentReturn
        fields = [
            "id",
            "campaign",
            "department",
            "department_name",
            "state",
            "state_label",
            "handed_in_at",
            "has_scan",
            "scan_uploaded_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_has_scan(self, department_return) -> bool:
        return bool(department_return.scan)


class FindingSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name")
    department = serializers.IntegerField(source="account.department_id")
    department_name = serializers.CharField(source="account.department.name")

    class Meta:
        model = Finding
        fields = [
            "id",
            "account",
            "account_name",
            "department",
            "department_name",
            "rule",
            "severity",
            "params",
            "suggestion",
            "merge_into",
            "opened_at",
        ]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
