"""Forms for the transitions: they validate and normalise; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Account

from .models import CLOSURE_KINDS, COMMENT_REQUIRED, TRANSITION_LABELS, Filing

# What the review queue can do to many accounts at once.
BULK_TRANSITIONS = ("approve", "register", "return_for_revision")


class TransitionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The state the user saw; a different state when posting means someone else acted first.
    expected_state = forms.ChoiceField(
        choices=Filing.State.choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, user=None, filing=None, **kwargs):
        super().__init__(*args, **kwargs)
        if filing is not None:
            self.fields["expected_state"].initial = filing.state


class ReturnForm(TransitionForm):
    comment = forms.CharField(
        label=_("What must the filer change?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClosureForm(TransitionForm):
    kind = forms.ChoiceField(label=_("Closure kind"), choices=CLOSURE_KINDS)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    merge_into = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Account.objects.none(),
        required=False,
        help_text=_("Only for a merge: the account that survives."),
    )

    def __init__(self, *args, user=None, filing=None, **kwargs):
        super().__init__(*args, user=user, filing=filing, **kwargs)
        survivors = Account.objects.select_related("department")
        if user is not None:
            survivors = survivors.for_user(user)
        if filing is not None:
            survivors = survivors.exclude(pk=filing.account_id)
            # The filer's proposal prefills the order.
            account = filing.account
            if account.disposition != Account.Disposition.KEEP:
                self.fields["kind"].initial = account.disposition
                self.fields["reason"].initial = account.disposition_reason
                self.fields["merge_into"].initial = account.merge_into_id
        self.fields["merge_into"].queryset = survivors


class ReportClosedForm(TransitionForm):
    evidence = forms.FileField(
        label=_("Screenshot"),
        help_text=_("A PNG or JPG screenshot showing the group dissolved or the account closed."),
    )


FORMS = {
    "submit": TransitionForm,
    "return_for_revision": ReturnForm,
    "approve": TransitionForm,
    "register": TransitionForm,
    "order_closure": ClosureForm,
    "request_closure": ClosureForm,
    "report_closed": ReportClosedForm,
    "confirm_closed": TransitionForm,
}


class BulkReviewForm(forms.Form):
    ACTIONS = [(name, TRANSITION_LABELS[name]) for name in BULK_TRANSITIONS]

    action = forms.ChoiceField(
        label=_("Action"),
        choices=ACTIONS,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
    filings = forms.ModelMultipleChoiceField(queryset=Filing.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filings"].queryset = queryset
        self.fields["filings"].error_messages["required"] = _("Select at least one account.")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") == "return_for_revision"
            and not cleaned.get("comment", "").strip()
        ):
            self.add_error("comment", COMMENT_REQUIRED)
        return cleaned
