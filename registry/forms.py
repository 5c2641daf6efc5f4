"""The account form a filer fills in, and the admin's export form with its personal-data choice."""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse_lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export.forms import SelectableFieldsExportForm

from . import personal_data, roles
from .models import Account, Department


class DateInput(forms.DateInput):
    """A date typed as text and shown as YYYY-MM-DD: a browser's date picker shows and takes the
    browser's own language's format (12/05/2026 in an English one). 2026/12/5 and 2026年12月5日
    are read too (newmedia/formats)."""

    input_type = "text"

    def __init__(self, **kwargs):
        attrs = {"placeholder": "2026-12-05", "autocomplete": "off", **kwargs.pop("attrs", {})}
        super().__init__(format="%Y-%m-%d", attrs=attrs, **kwargs)


class StaffPicker(forms.TextInput):
    """A name typed, or picked from the staff in post of the department chosen in the form:
    static/staff-picker.js fills the list as the filer types, each name with its staff number and
    post. Picking the owner fills an empty post field named by ``post_field``. Without
    JavaScript it is the text box it always was."""

    template_name = "registry/widgets/staff_picker.html"

    def __init__(self, post_field: str = ""):
        attrs = {"autocomplete": "off", "data-staff-picker": reverse_lazy("approvals:staff_search")}
        if post_field:
            attrs["data-post-field"] = post_field
        super().__init__(attrs=attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}-staff"
        return context


PLATFORM_NAME_REQUIRED = _("Name the platform the account is on.")


class AccountForm(forms.ModelForm):
    # The version the filer opened; the service refuses the save if someone saved in between.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Account
        # The form's columns, and the R6 acknowledgement a submission needs.
        fields = [*Account.FORM_COLUMNS, "platform_name", "rules_acknowledged"]
        widgets = {
            "created_on": DateInput(),
            "task_end_on": DateInput(),
            "last_active_on": DateInput(),
            "owner_name": StaffPicker(post_field="owner_post"),
            "administrator_name": StaffPicker(),
            "security_contact_name": StaffPicker(),
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
        if cleaned.get("platform") != Account.Platform.OTHER:
            cleaned["platform_name"] = ""
        elif not cleaned.get("platform_name"):
            self.add_error("platform_name", PLATFORM_NAME_REQUIRED)
        return cleaned


class NamedFieldsExportForm(SelectableFieldsExportForm):
    """The admin's export form, each column offered by the model's name for it (负责人), not by
    its attribute written as a title (Owner Name)."""

    def _get_field_label(self, resource, field_name: str) -> str:
        try:
            return capfirst(resource._meta.model._meta.get_field(field_name).verbose_name)
        except FieldDoesNotExist:
            return super()._get_field_label(resource, field_name)


class PersonalDataExportForm(NamedFieldsExportForm):
    """The admin's export form, with the choice to unmask phone numbers and the reason for it.

    The form checks only that a reason is given; the admin checks the permission, because the
    library builds this form without the request.
    """

    unmask_phones = forms.BooleanField(
        label=_("Unmask phone numbers"),
        required=False,
        help_text=_(
            "Needs the permission to export personal data. Without it, phone numbers are "
            "exported masked (138****8000). An unmasked export is recorded with your reason."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the unmasked export"), required=False, max_length=200, strip=True
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("unmask_phones") and not cleaned.get("reason"):
            self.add_error("reason", personal_data.REASON_REQUIRED)
        return cleaned
