"""The admin's robot form: the webhook address and the signing secret are written, never shown
back (a blank field keeps what is stored)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Robot

KEPT = _("Stored: %(value)s. Leave empty to keep it.")
SECRET_KEPT = _("A secret is stored. Leave empty to keep it.")


class RobotAdminForm(forms.ModelForm):
    webhook_url = forms.CharField(
        label=_("webhook address"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The address the group's robot settings show, with its key."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("DingTalk's 加签 secret (SEC…). WeCom robots have none."),
    )

    class Meta:
        model = Robot
        fields = ["name", "platform", "department", "webhook_url", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = {"webhook_url": "", "secret": ""}
        if self.instance.pk:
            self.stored = {"webhook_url": self.instance.webhook_url, "secret": self.instance.secret}
            self.fields["webhook_url"].help_text = KEPT % {"value": self.instance.webhook_masked}
            if self.instance.secret:
                self.fields["secret"].help_text = SECRET_KEPT

    def clean_webhook_url(self):
        value = self.cleaned_data["webhook_url"].strip() or self.stored["webhook_url"]
        if not value:
            raise forms.ValidationError(
                forms.Field.default_error_messages["required"], code="required"
            )
        return value

    def clean_secret(self):
        return self.cleaned_data["secret"].strip() or self.stored["secret"]
