"""Email backends that stand in for mail servers in tests."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message, as a misconfigured relay does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"refused")})
