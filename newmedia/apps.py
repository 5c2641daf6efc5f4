"""The project package as an app, so that it can hold the project-wide management commands."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewmediaConfig(AppConfig):
    name = "newmedia"
    verbose_name = _("New-media registry")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sessions import session_stamp_login

        # The login's start time goes into the session that login() saves anyway.
        user_logged_in.connect(session_stamp_login, dispatch_uid="newmedia_session_stamp_login")
