"""The lists' filters; the department choices are the user's visible departments."""

from datetime import timedelta

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from registry.models import Account, Department

from .centre import SORT_LABELS, sort_departments, with_findings
from .models import Filing, ReturnState

NO_DEPARTMENT_MATCHES = _(
    "No department you may see has the code “%(text)s” or a name containing it."
)


def _departments(request):
    return Department.objects.for_user(request.user)


def department_label(department: Department) -> str:
    """How the department picker names a department: its code, then its name."""
    return f"{department.code} {department.name}"


class DepartmentInput(forms.Widget):
    """Reads the department's id (``department``) and, when the picker's search box was sent,
    its text (``department_text``; None when absent). The ``filter_field`` tag draws it."""

    @staticmethod
    def text_name(name: str) -> str:
        return f"{name}_text"

    def value_from_datadict(self, data, files, name):
        return data.get(name), data.get(self.text_name(name))


class DepartmentField(forms.ModelChoiceField):
    """A department chosen by id, as links, the drop-down and the picker's script send it, or
    the departments whose code or name a typed text matches (the picker without JavaScript).

    When both come, the text decides, unless it is still the label the page showed for the
    chosen id; an empty text means every department. An id is always checked first: one the
    user may not see is refused with the drop-down's own error."""

    widget = DepartmentInput

    def clean(self, value):
        pk, text = value
        chosen = super().clean(pk)
        if text is None:
            return chosen
        text = text.strip()
        if chosen is not None and text == department_label(chosen):
            return chosen
        if not text:
            return None
        found = self.queryset.matching(text)
        if not found.exists():
            raise ValidationError(NO_DEPARTMENT_MATCHES, code="no_match", params={"text": text})
        return found

    @cached_property
    def listed(self) -> list[Department] | None:
        """The user's departments when there are few enough for a drop-down
        (``NEWMEDIA_DEPARTMENT_SELECT_MAX``), else None for the search box: one query, however
        many departments there are."""
        limit = settings.NEWMEDIA_DEPARTMENT_SELECT_MAX
        departments = list(self.queryset[: limit + 1])
        return departments if len(departments) <= limit else None


class DepartmentFilter(django_filters.ModelChoiceFilter):
    """The lists' department filter, over the departments the user may see."""

    field_class = DepartmentField

    def __init__(self):
        super().__init__(
            queryset=_departments, label=_("Department"), empty_label=_("All departments")
        )

    def filter(self, qs, value):
        if isinstance(value, QuerySet):  # the departments a typed text matched
            return qs.filter(**{f"{self.field_name}__in": value})
        return super().filter(qs, value)


class AccountRowsFilter(django_filters.FilterSet):
    """What the account list and the review queue share: the department filter, and no rows
    while a filter is in error, so that a list (and the queue's "apply to all the filters
    select") never reaches more accounts than the filters asked for."""

    department = DepartmentFilter()

    @property
    def qs(self):
        return self.queryset.none() if self.is_bound and not self.is_valid() else super().qs


class AccountFilter(AccountRowsFilter):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    platform = django_filters.ChoiceFilter(
        choices=Account.Platform.choices,
        label=_("Platform"),
        empty_label=_("All platforms"),
    )
    state = django_filters.ChoiceFilter(
        field_name="filing__state",
        choices=Filing.State.choices,
        label=_("State"),
        empty_label=_("All states"),
    )
    naming_level = django_filters.ChoiceFilter(
        choices=Account.NamingLevel.choices,
        label=_("Naming level"),
        empty_label=_("All levels"),
    )
    category = django_filters.ChoiceFilter(
        choices=Account.Category.choices,
        label=_("Category"),
        empty_label=_("All categories"),
    )

    class Meta:
        model = Account
        fields = ["q", "department", "platform", "state", "naming_level", "category"]

    def search(self, queryset, name, value):
        return queryset.search(value)


# How long a submission has waited for review: the queue's filter, in days.
WAITING_DAYS = {"1": 1, "3": 3, "7": 7}


class ReviewFilter(AccountRowsFilter):
    """The review queue's filters: by department, platform, naming level, and how long an
    account has waited since it was submitted."""

    platform = django_filters.ChoiceFilter(
        choices=Account.Platform.choices, label=_("Platform"), empty_label=_("All platforms")
    )
    naming_level = django_filters.ChoiceFilter(
        choices=Account.NamingLevel.choices,
        label=_("Naming level"),
        empty_label=_("All levels"),
    )
    waiting = django_filters.ChoiceFilter(
        method="waited",
        choices=[
            (key, _("over %(days)s days") % {"days": days}) for key, days in WAITING_DAYS.items()
        ],
        label=_("Waiting"),
        empty_label=_("Any time"),
    )

    class Meta:
        model = Account
        fields = ["department", "platform", "naming_level", "waiting"]

    def waited(self, queryset, name, value):
        since = timezone.now() - timedelta(days=WAITING_DAYS[value])
        return queryset.filter(filing__state_changed_at__lte=since)


class ReturnFilter(django_filters.FilterSet):
    """The reviewers' list of departments and their returns to the active campaign."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.ChoiceFilter(
        field_name="return_state",
        choices=ReturnState.choices,
        label=_("State"),
        empty_label=_("All states"),
    )

    class Meta:
        model = Department
        fields = ["q", "state"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class CentreFilter(ReturnFilter):
    """The command centre's departments: by return state, kind, blocking findings, and sorted
    by one of a fixed list of orders (``approvals.centre.SORTS``)."""

    kind = django_filters.ChoiceFilter(
        choices=Department.Kind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    blocking = django_filters.ChoiceFilter(
        method="by_blocking",
        choices=[("yes", _("With blocking findings")), ("no", _("Without blocking findings"))],
        label=_("Blocking findings"),
        empty_label=_("Either"),
    )
    sort = django_filters.ChoiceFilter(
        method="by_sort",
        # The default order is the empty choice, so it is not listed twice.
        choices=[(key, label) for key, label in SORT_LABELS.items() if key != "department"],
        label=_("Sort by"),
        empty_label=SORT_LABELS["department"],
    )

    class Meta:
        model = Department
        fields = ["q", "state", "kind", "blocking", "sort"]

    def by_blocking(self, queryset, name, value):
        queryset = with_findings(queryset)
        return (
            queryset.filter(blocking_findings__gt=0)
            if value == "yes"
            else queryset.filter(blocking_findings=0)
        )

    def by_sort(self, queryset, name, value):
        return sort_departments(queryset, value)
