"""Email backends that stand in for mail servers in tests."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message, as a misconfigured relay does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"refused")})


class ConnectionCuttingBackend(BaseEmailBackend):
    """A mail server that accepts, after which the database connection of the sender is cut
    (``pg_terminate_backend`` from a second connection), as a failover or a restart would."""

    sent: list = []

    def send_messages(self, email_messages):
        from django.db import connection

        from newmedia.tests.databases import second_connection

        type(self).sent.extend(email_messages)
        pid = connection.connection.info.backend_pid
        with second_connection(autocommit=True) as side:
            side.execute("SELECT pg_terminate_backend(%s)", [pid])
        return len(email_messages)
