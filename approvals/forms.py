"""Forms for the transitions and the campaigns: they validate and normalise; the services decide."""

import re
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from cleanup import selectors as cleanup_selectors
from newmedia.ids import IdMultipleChoiceField
from registry import roles, sheets
from registry.forms import AccountForm, DateInput
from registry.models import Account, Department, PendingImport

from .models import (
    CLOSURE_KINDS,
    HANDOVER_TO_REQUIRED,
    MILESTONES_INVALID,
    AnnualConfirmation,
    Campaign,
    ChangeRequest,
    Filing,
    Notification,
)


class StepForm(forms.Form):
    """A step of any state machine, with its comment; the step's table entry names its form."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The state the user saw; a different state when posting means someone else acted first.
    expected_state = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["expected_state"].initial = instance.state


def step_form(instance, name: str, *, user, data=None, files=None) -> StepForm:
    """The form a step of the record's machine is taken with, bound when data is given."""
    form_class = import_string(type(instance).machine[name].form)
    return form_class(data, files, user=user, instance=instance, prefix=name)


class ReturnForm(StepForm):
    comment = forms.CharField(
        label=_("What must the filer change?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(StepForm):
    comment = forms.CharField(
        label=_("Why do you withdraw it?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClosureForm(StepForm):
    kind = forms.ChoiceField(label=_("Closure kind"), choices=CLOSURE_KINDS)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    merge_into = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Account.objects.none(),
        required=False,
        help_text=_("Only for a merge: the account that survives."),
    )

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        survivors = Account.objects.select_related("department")
        if user is not None:
            survivors = survivors.for_user(user)
        if instance is not None:
            survivors = survivors.exclude(pk=instance.account_id)
            # The filer's proposal prefills the order.
            account = instance.account
            if account.disposition != Account.Disposition.KEEP:
                self.fields["kind"].initial = account.disposition
                self.fields["reason"].initial = account.disposition_reason
                self.fields["merge_into"].initial = account.merge_into_id
            # The filer proposed keeping it: the clean-up checks' suggestion, if any, prefills
            # the order instead (it still closes nothing until the reviewer confirms it).
            elif suggestion := cleanup_selectors.suggested_disposition(account_id=account.pk):
                self.fields["kind"].initial = suggestion.kind
                self.fields["reason"].initial = suggestion.reason[:500]
                self.fields["merge_into"].initial = suggestion.merge_into_id
        self.fields["merge_into"].queryset = survivors


class ReportClosedForm(StepForm):
    evidence = forms.FileField(
        label=_("Screenshot"),
        help_text=_("A PNG or JPG screenshot showing the group dissolved or the account closed."),
    )


def _colleagues(role: str, user):
    """The active members of a role a task can be handed to: not the user themselves."""
    users = get_user_model().objects.filter(groups__name=role, is_active=True).order_by("username")
    return users.exclude(pk=user.pk) if user is not None else users


class HandoverForm(StepForm):
    to = forms.ModelChoiceField(label=_("Hand over to"), queryset=get_user_model().objects.none())

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        # A signature goes to another leader; a submission to another reviewer. The service
        # checks the role again, whatever was posted.
        leaders = instance is not None and instance.state == Filing.State.AWAITING_SIGNOFF
        role = roles.LEADER_GROUP if leaders else roles.REVIEWER_GROUP
        self.fields["to"].queryset = _colleagues(role, user)
        self.fields["to"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


SELECT_ONE = _("Select at least one account.")
SELECT_ONE_CHANGE = _("Select at least one change.")


def _comment_check(form, model) -> None:
    """The comment the chosen step of the model's table requires, when it is missing."""
    cleaned = form.cleaned_data
    if (action := cleaned.get("action")) and not cleaned.get("comment", "").strip():
        if message := model.machine[action].comment_required:
            form.add_error("comment", message)


class BulkReviewForm(forms.Form):
    """One of the filing steps the table allows in bulk, on many submitted accounts."""

    ACTIONS = [(step.name, step.label) for step in Filing.machine if step.bulk]

    action = forms.ChoiceField(
        label=_("Action"),
        choices=ACTIONS,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
    to = forms.ModelChoiceField(
        label=_("Hand over to"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Only to hand the selected accounts over to another reviewer."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    filings = IdMultipleChoiceField(queryset=Filing.objects.none(), required=False)
    # Every account the queue's filters select, on every page, not only the ticked ones.
    all_matching = forms.BooleanField(required=False)

    def __init__(self, *args, queryset, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filings"].queryset = queryset
        self.fields["to"].queryset = _colleagues(roles.REVIEWER_GROUP, user)
        self.fields["to"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_matching") and not cleaned.get("filings"):
            self.add_error("filings", SELECT_ONE)
        _comment_check(self, Filing)
        if cleaned.get("action") == "hand_over" and not cleaned.get("to"):
            self.add_error("to", HANDOVER_TO_REQUIRED)
        return cleaned

    def step_arguments(self) -> dict:
        """What the chosen step takes besides the comment."""
        return {"to": self.cleaned_data["to"]} if self.cleaned_data["action"] == "hand_over" else {}


class ChangeReviewForm(forms.Form):
    """Approve or return many pending change requests at once: the steps of the change table
    that are allowed in bulk."""

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(step.name, step.label) for step in ChangeRequest.machine if step.bulk],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
    changes = IdMultipleChoiceField(queryset=ChangeRequest.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["changes"].queryset = queryset
        self.fields["changes"].error_messages["required"] = SELECT_ONE_CHANGE

    def clean(self):
        cleaned = super().clean()
        _comment_check(self, ChangeRequest)
        return cleaned


class ConfirmationsForm(forms.Form):
    """年审: the filer's confirmations ticked on the review page, to confirm in one go."""

    confirmations = IdMultipleChoiceField(queryset=AnnualConfirmation.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmations"].queryset = queryset
        self.fields["confirmations"].error_messages["required"] = SELECT_ONE


# Department returns (登记表报送).


class SendBackForm(StepForm):
    comment = forms.CharField(
        label=_("What must the department change?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ScanUploadForm(StepForm):
    # The service checks the file's content and size; this form only requires one.
    scan = forms.FileField(
        label=_("Stamped registration form"),
        help_text=_("The scan of the form with the department's seal: PDF, JPG or PNG."),
    )


# Campaigns (专项行动).

# Between the days: commas (also the Chinese ones), enumeration commas, semicolons or spaces.
_MILESTONE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class ChangeRequestForm(AccountForm):
    """变更备案: the account form on a registered account, with why the facts change."""

    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        help_text=_("E.g. the owner left the school; the group now serves the 2026 intake."),
    )


PUBLISH_EARLY = _(
    "The deadline (%(deadline)s) has not come: the summary would be published while departments "
    "are still filing, and anyone with its address would see incomplete figures. Tick “Publish "
    "the summary before the deadline” to publish it now all the same."
)


def next_june_8(today: date) -> date:
    """The notice's deadline: June 8 this year, or next year once it has passed."""
    deadline = date(today.year, 6, 8)
    return deadline if deadline >= today else date(today.year + 1, 6, 8)


class CampaignForm(forms.ModelForm):
    # Typed as text ("7, 3, 1, 0") and stored as a list; the model checks the range and sorts.
    reminder_days = forms.CharField(
        label=_("Reminder days"),
        help_text=_(
            "Days before the deadline on which late departments are reminded, separated by "
            "commas; 0 is the deadline itself."
        ),
        error_messages={"required": MILESTONES_INVALID},
    )

    class Meta:
        model = Campaign
        fields = [
            "kind",
            "title",
            "document_number",
            "starts_on",
            "deadline",
            "reminder_days",
            "office_email",
            "is_active",
            "summary_published",
            "refuse_blocked_hand_in",
        ]
        widgets = {"starts_on": DateInput(), "deadline": DateInput()}

    publish_early = forms.BooleanField(
        label=_("Publish the summary before the deadline"),
        required=False,
        help_text=_("Only to publish before the deadline: the summary is incomplete until then."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("deadline", next_june_8(today))
        self.fields["kind"].required = False
        days = self.initial.get("reminder_days", self.instance.reminder_days)
        if isinstance(days, list):
            self.initial["reminder_days"] = ", ".join(str(day) for day in days)

    def clean(self):
        cleaned = super().clean()
        deadline = cleaned.get("deadline")
        publishing = cleaned.get("summary_published") and not self.instance.summary_published
        if (
            publishing
            and deadline
            and timezone.localdate() < deadline
            and not cleaned.get("publish_early")
        ):
            self.add_error(
                "summary_published", PUBLISH_EARLY % {"deadline": f"{deadline:%Y-%m-%d}"}
            )
        return cleaned

    def clean_kind(self) -> str:
        # Left out (an older form, a script), a campaign is the clean-up it always was.
        return self.cleaned_data["kind"] or Campaign.Kind.FILING

    def clean_reminder_days(self) -> list[int]:
        text = self.cleaned_data["reminder_days"]
        parts = [part for part in _MILESTONE_SEPARATORS.split(text) if part]
        if not parts or not all(part.isdecimal() for part in parts):
            raise forms.ValidationError(MILESTONES_INVALID, code="invalid")
        return [int(part) for part in parts]


class NotificationsReadForm(forms.Form):
    """The notifications the user was shown and marks read: only those, never one that arrived
    after the page was drawn."""

    notification = IdMultipleChoiceField(queryset=Notification.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notification"].queryset = Notification.objects.filter(recipient=user)


# The registration form in and out (approvals/registration_views.py).


class SheetUploadForm(forms.Form):
    """A spreadsheet to import: the registration form, or for reviewers the staff roster, and
    the department of rows that name none."""

    kind = forms.ChoiceField(label=_("What the file holds"), choices=PendingImport.Kind.choices)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("For rows whose department column is empty or missing."),
    )
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("xlsx, xls or CSV (UTF-8 or GBK), with the form's column headers."),
    )

    def __init__(self, *args, user, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in PendingImport.Kind.choices if c[0] in kinds]
        departments = Department.objects.for_user(user)
        if not roles.sees_all(user):
            departments = departments.filter(pk__in=roles.filer_department_ids(user))
        self.fields["department"].queryset = departments
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
            self.fields["kind"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.NEWMEDIA_IMPORT_MAX_BYTES
        if upload.size > limit:  # refused before it is read into memory
            raise forms.ValidationError(
                sheets.TOO_LARGE,
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload


class RegisterExportForm(forms.Form):
    """The school-wide register: which accounts, which format, and whole numbers only with the
    permission and a reason (``registry.personal_data``)."""

    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (xlsx)"), ("csv", "CSV (UTF-8)")]
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *Filing.State.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    unmask_phones = forms.BooleanField(label=_("Unmask phone numbers"), required=False)
    reason = forms.CharField(
        label=_("Reason for the unmasked export"), required=False, max_length=200, strip=True
    )
