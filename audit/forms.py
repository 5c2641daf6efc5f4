from django import forms


class UnlockForm(forms.Form):
    """The login to unlock, as listed on the lockouts page."""

    username = forms.CharField(max_length=255)
    ip_address = forms.GenericIPAddressField()
