"""The forms of a department return's hand-in and scan (named by the steps' table): the hand-in
asks for a reason while blocking findings are open, and the scan names the hand-in it stamps."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import ScanUploadForm, StepForm
from .models import open_blocking_findings


class HandInForm(StepForm):
    reason = forms.CharField(
        label=_("Why the department hands in with blocking findings open"),
        help_text=_("Recorded with the hand-in and shown to the reviewers."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        # Asked only where it is needed, and where the campaign does not refuse outright.
        if instance is not None and not (
            open_blocking_findings(instance.department_id)
            and not instance.campaign.refuse_blocked_hand_in
        ):
            del self.fields["reason"]


class SnapshotScanForm(ScanUploadForm):
    # The hand-in the page showed: a scan of an older form is refused by the step.
    snapshot = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        latest = instance.latest_snapshot() if instance is not None else None
        self.fields["snapshot"].initial = latest.number if latest else None
