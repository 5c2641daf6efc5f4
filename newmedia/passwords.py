"""Password rules: Django's validators, with messages users can read in Chinese."""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with its error in the wording Django's zh-hans catalogue has.

    Django 5.2 reworded this message (``%d`` for ``%(min_length)d``) and its zh_Hans catalogue
    still translates only the old wording, so the error would show in English.
    """

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
