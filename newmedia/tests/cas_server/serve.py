"""Start the test CAS server: ``python -m newmedia.tests.cas_server.serve PORT SERVICE_PATTERN``.

Its database (CAS_TEST_DB) is migrated and given the people of USERS and one service, ours,
which is told the staff number, name and department of whoever signs in, and is sent single
logout requests. It prints "ready" once it listens.
"""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "newmedia.tests.cas_server.settings"

import django

django.setup()

from cas_server.models import ReplaceAttributName, ServicePattern  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from newmedia.tests.cas_server import PASSWORD, USERS  # noqa: E402

# What the service is told, under the names a school's CAS server commonly uses.
RELEASED = {"username": "employeeNumber", "first_name": "cn", "last_name": "department"}


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main(port: int, service_pattern: str) -> None:
    call_command("migrate", verbosity=0)
    for number, name, department in USERS:
        user = get_user_model().objects.create(
            username=number, first_name=name, last_name=department
        )
        user.set_password(PASSWORD)
        user.save()
    service = ServicePattern.objects.create(
        pos=1, name="newmedia", pattern=service_pattern, single_log_out=True
    )
    for name, replace in RELEASED.items():
        ReplaceAttributName.objects.create(name=name, replace=replace, service_pattern=service)
    server = make_server("127.0.0.1", port, get_wsgi_application(), ThreadingServer, QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
