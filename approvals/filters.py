"""The lists' filters; the department choices are the user's visible departments."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Account, Department

from .centre import SORT_LABELS, sort_departments, with_findings
from .models import Filing, ReturnState


def _departments(request):
    return Department.objects.for_user(request.user)


class AccountRowsFilter(django_filters.FilterSet):
    """What the account list and the review queue share: the department filter, and no rows
    while a filter is in error, so that a list (and the queue's "apply to all the filters
    select") never reaches more accounts than the filters asked for."""

    department = django_filters.ModelChoiceFilter(
        queryset=_departments, label=_("Department"), empty_label=_("All departments")
    )

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
