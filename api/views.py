"""The REST API: the pages' visibility (``for_user``), forms, permissions and services, spoken
in JSON. Nothing here decides what a user may see or do that the pages do not decide too."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from approvals import selectors, services
from approvals.filters import AccountFilter
from approvals.forms import step_form
from approvals.models import Campaign, DepartmentReturn, Filing
from cleanup.forms import FindingFilter
from cleanup.models import Finding
from cleanup.selectors import finding_rows
from newmedia.ids import in_range
from registry import roles
from registry.forms import AccountForm
from registry.models import Account
from registry.personal_data import personal_data_viewed

from .serializers import (
    WRITABLE,
    AccountInputSerializer,
    AccountSerializer,
    ActionSerializer,
    CampaignSerializer,
    ErrorSerializer,
    FindingSerializer,
    ReturnSerializer,
    StepSerializer,
)

FILERS_ONLY = _("Only a department's filers can add its accounts.")
UPLOAD_ON_SITE = _("This step carries a file: take it on the account's page.")
NO_SUCH_STEP = _("There is no such step.")
NOT_A_VALUE = _("Give a number, a text, true or false.")

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description=_("No token, or a token refused.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not permitted, and why.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found, or not yours to see.")),
    429: OpenApiResponse(ErrorSerializer, description=_("Too many requests: wait and retry.")),
}
INVALID = {400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("What is wrong, by field."))}
STALE = {409: OpenApiResponse(ErrorSerializer, description=_("Someone else changed it first."))}


class IdsChecked:
    """An id in the path that no database id can be (a word, a number past the range) is a
    404, like any id not yours to see, in JSON (the router's own pattern would leave a dotted
    word to the site's HTML page)."""

    lookup_value_regex = "[^/]+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "pk" in kwargs and not in_range(kwargs["pk"]):
            raise NotFound()


def _form_data(values: dict, *, prefix: str = "") -> dict:
    """JSON values as a posted form carries them (a step's form names its fields
    ``<step>-<field>``)."""
    return {f"{prefix}{name}": _form_value(value) for name, value in values.items()}


def _form_value(value):
    """A JSON value as a posted form carries it."""
    if isinstance(value, bool):
        return "on" if value else ""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValidationError(NOT_A_VALUE)


def _form_errors(form) -> ValidationError:
    return ValidationError(
        {
            field: [e["message"] for e in errors]
            for field, errors in form.errors.get_json_data().items()
        }
    )


@extend_schema(tags=[_("Accounts")])
@extend_schema_view(
    list=extend_schema(
        summary=_("Accounts you may see"), responses={200: AccountSerializer, **ERRORS, **INVALID}
    ),
    retrieve=extend_schema(summary=_("One account"), responses={200: AccountSerializer, **ERRORS}),
)
class AccountViewSet(IdsChecked, viewsets.GenericViewSet):
    serializer_class = AccountSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccountFilter
    queryset = Account.objects.none()  # for the schema; each request starts from for_user

    def get_queryset(self):
        return (
            Account.objects.for_user(self.request.user)
            .select_related("department", "filing")
            .order_by("department__code", "pk")
        )

    def get_object(self) -> Account:
        return selectors.visible_account(user=self.request.user, pk=self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        account = self.get_object()
        personal_data_viewed(user=request.user, objects=[account], detail=request.path)
        return Response(self.get_serializer(account).data)

    @extend_schema(
        summary=_("Add an account as a draft"),
        request=AccountInputSerializer,
        responses={201: AccountSerializer, **ERRORS, **INVALID},
    )
    def create(self, request):
        if not roles.filer_department_ids(request.user):
            raise PermissionDenied(FILERS_ONLY)
        values = self._input(request)
        form = AccountForm(_form_data(values), user=request.user)
        if not form.is_valid():
            raise _form_errors(form)
        services.filing_create(account=form.instance, by=request.user)
        account = self.get_object_by_pk(form.instance.pk)
        return Response(self.get_serializer(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Change a draft or a returned account"),
        request=AccountInputSerializer,
        responses={200: AccountSerializer, **ERRORS, **INVALID, **STALE},
    )
    def partial_update(self, request, pk=None):
        account = self.get_object()
        services.check_department_writer(
            user=request.user, department=account.department, permission="registry.change_account"
        )
        if not account.filing.is_editable:
            raise DjangoValidationError(
                services.NOT_EDITABLE % {"state": account.filing.get_state_display()},
                code="not_editable",
            )
        values = {
            **model_to_dict(account, fields=[*WRITABLE, "rules_acknowledged"]),
            "version": account.version,
            **self._input(request),
            "department": account.department_id,  # an account never moves department here
        }
        form = AccountForm(_form_data(values), instance=account, user=request.user)
        if not form.is_valid():
            raise _form_errors(form)
        services.account_edit(account=form.instance, by=request.user, version=values["version"])
        return Response(self.get_serializer(self.get_object_by_pk(pk)).data)

    def get_object_by_pk(self, pk) -> Account:
        return self.get_queryset().get(pk=pk)

    @staticmethod
    def _input(request) -> dict:
        serializer = AccountInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary=_("The steps you may take on the account now"),
        responses={200: ActionSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="steps", pagination_class=None)
    def steps(self, request, pk=None):
        account = self.get_object()
        actions = selectors.step_actions(instance=account.filing, user=request.user)
        return Response(ActionSerializer(actions, many=True).data)

    @extend_schema(
        summary=_("Take a step"),
        request=StepSerializer,
        responses={200: AccountSerializer, **ERRORS, **INVALID, **STALE},
    )
    @steps.mapping.post
    def take_step(self, request, pk=None):
        account = self.get_object()
        serializer = StepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data["step"]
        if name not in Filing.machine:
            raise NotFound(NO_SUCH_STEP)
        if Filing.machine[name].upload:
            raise ValidationError({"step": [UPLOAD_ON_SITE]})
        given = serializer.validated_data
        fields = {
            **given.get("arguments", {}),
            "comment": given.get("comment", ""),
            "expected_state": given.get("expected_state", ""),
        }
        form = step_form(
            account.filing, name, user=request.user, data=_form_data(fields, prefix=f"{name}-")
        )
        if not form.is_valid():
            raise _form_errors(form)
        services.step_take(account.filing, name, by=request.user, **form.cleaned_data)
        return Response(self.get_serializer(self.get_object_by_pk(pk)).data)


@extend_schema(tags=[_("Campaigns")])
@extend_schema_view(
    list=extend_schema(summary=_("Campaigns"), responses={200: CampaignSerializer, **ERRORS}),
    retrieve=extend_schema(
        summary=_("One campaign"), responses={200: CampaignSerializer, **ERRORS}
    ),
)
class CampaignViewSet(IdsChecked, viewsets.ReadOnlyModelViewSet):
    """Every campaign for those who manage them; the active one for everyone else."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.none()

    def get_queryset(self):
        campaigns = Campaign.objects.order_by("-starts_on", "-pk")
        if self.request.user.has_perm("approvals.view_campaign"):
            return campaigns
        return campaigns.filter(is_active=True)


@extend_schema(tags=[_("Department returns")])
@extend_schema_view(
    list=extend_schema(
        summary=_("Departments' returns"), responses={200: ReturnSerializer, **ERRORS, **INVALID}
    ),
    retrieve=extend_schema(summary=_("One return"), responses={200: ReturnSerializer, **ERRORS}),
)
class ReturnViewSet(IdsChecked, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReturnSerializer
    queryset = DepartmentReturn.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["campaign", "state"]

    def get_queryset(self):
        return (
            DepartmentReturn.objects.for_user(self.request.user)
            .select_related("department")
            .order_by("-campaign_id", "department__code", "pk")
        )


@extend_schema(tags=[_("Open findings")])
@extend_schema_view(
    list=extend_schema(
        summary=_("Open findings"), responses={200: FindingSerializer, **ERRORS, **INVALID}
    ),
    retrieve=extend_schema(summary=_("One finding"), responses={200: FindingSerializer, **ERRORS}),
)
class FindingViewSet(
    IdsChecked, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = FindingSerializer
    queryset = Finding.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = FindingFilter

    def get_queryset(self):
        return finding_rows(user=self.request.user)
