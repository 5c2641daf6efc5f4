"""The account form a filer fills in: the registration form's columns, nothing else."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import Account, Department


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AccountForm(forms.ModelForm):
    # The version the filer opened; the service refuses the save if someone saved in between.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Account
        # The form's columns, and the R6 acknowledgement a submission needs.
        fields = [*Account.FORM_COLUMNS, "rules_acknowledged"]
        widgets = {
            "created_on": DateInput(),
            "task_end_on": DateInput(),
            "last_active_on": DateInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the filer's own departments can be chosen: another department's id is invalid.
        self.fields["department"].queryset = Department.objects.filter(
            pk__in=roles.filer_department_ids(user)
        )
        survivors = Account.objects.for_user(user).select_related("department")
        if self.instance.pk:
            survivors = survivors.exclude(pk=self.instance.pk)
            self.fields["version"].initial = self.instance.version
        self.fields["merge_into"].queryset = survivors
        self.fields["merge_into"].help_text = _("Only when the proposed disposition is merge.")
        if len(self.fields["department"].queryset) == 1:
            self.fields["department"].initial = self.fields["department"].queryset[0]

    def clean(self):
        cleaned = super().clean()
        # A survivor picked before switching the disposition away from merge is dropped, not kept.
        if cleaned.get("disposition") != Account.Disposition.MERGE:
            cleaned["merge_into"] = None
        if cleaned.get("platform") != Account.Platform.WECHAT_OFFICIAL:
            cleaned["account_type"] = ""
        return cleaned
