import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="icontains", label=_("User"))
    action = django_filters.ChoiceFilter(
        choices=AuditEvent.Action.choices, label=_("Action"), empty_label=_("All actions")
    )
    outcome = django_filters.ChoiceFilter(
        choices=AuditEvent.Outcome.choices, label=_("Outcome"), empty_label=_("All outcomes")
    )
    since = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    client_ip = django_filters.CharFilter(label=_("Client address"))

    class Meta:
        model = AuditEvent
        fields = ["username", "action", "outcome", "since", "until", "client_ip"]
