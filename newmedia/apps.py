"""The project package as an app, so that it can hold the project-wide management commands."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewmediaConfig(AppConfig):
    name = "newmedia"
    verbose_name = _("New-media registry")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate, pre_migrate
        from django_auth_ldap.backend import ldap_error

        from . import checks, dbtriggers, django_zh  # noqa: F401 (checks registers itself)
        from .sessions import session_stamp_login
        from .signin import ldap_unreachable

        django_zh.install()
        # The login's start time goes into the session that login() saves anyway.
        user_logged_in.connect(session_stamp_login, dispatch_uid="newmedia_session_stamp_login")
        ldap_error.connect(ldap_unreachable, dispatch_uid="newmedia_ldap_unreachable")
        # Declared triggers are kept out of every migration's way (newmedia/dbtriggers.py).
        pre_migrate.connect(dbtriggers.drop_before_migrate, dispatch_uid="newmedia_triggers_drop")
        post_migrate.connect(
            dbtriggers.install_after_migrate, dispatch_uid="newmedia_triggers_install"
        )
