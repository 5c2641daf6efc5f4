"""Signing in with the school's LDAP directory: Debian's slapd, started by these tests on a spare
port in a temporary folder with the directory of newmedia/tests/ldap/directory.ldif.

Without slapd these tests skip, saying why; with CI=true they must run (.ci/run installs it)."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import ldap
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_auth_ldap.config import LDAPSearch

from audit.models import AuditEvent
from newmedia.signin import LDAP_DOWN, LOCAL_LOGIN_ADMINS_ONLY
from registry.roles import FILER_GROUP, REVIEWER_GROUP
from registry.tests.factories import UserFactory

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
DIRECTORY = Path(__file__).parent / "ldap" / "directory.ldif"
SUFFIX = "dc=example,dc=edu,dc=cn"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "directory-admin"
REVIEWERS = f"cn=reviewers,ou=groups,{SUFFIX}"
LOGIN = reverse("login")
Action, Outcome = AuditEvent.Action, AuditEvent.Outcome

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {folder}/data
maxsize 10485760
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    """The directory's address (ldap://127.0.0.1:port)."""
    if not (os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK)):
        message = "slapd is not installed (apt-get install slapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the LDAP tests")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "data").mkdir()
    config = folder / "slapd.conf"
    config.write_text(
        CONFIG.format(folder=folder, suffix=SUFFIX, admin=ADMIN_DN, password=ADMIN_PASSWORD)
    )
    subprocess.run([SLAPADD, "-f", config, "-l", DIRECTORY], check=True, capture_output=True)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    # -d keeps it in the foreground, a child of this process, ended with the module.
    server = subprocess.Popen(
        [SLAPD, "-f", config, "-h", url, "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("slapd did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ldap_on(settings, slapd, db):
    """LDAP on, as a school sets it up: a bind account, people and groups, reviewers mapped."""
    settings.AUTH_LDAP_SERVER_URI = slapd
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS[:2],
        "newmedia.signin.RoleLDAPBackend",
        *settings.AUTHENTICATION_BACKENDS[2:],
    ]
    settings.AUTH_LDAP_BIND_DN = ADMIN_DN
    settings.AUTH_LDAP_BIND_PASSWORD = ADMIN_PASSWORD
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(
        f"ou=people,{SUFFIX}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)"
    )
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        f"ou=groups,{SUFFIX}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
    )
    settings.NEWMEDIA_LDAP_REVIEWER_GROUP = REVIEWERS
    return slapd


def _login(client, username, password="ldap-password"):
    return client.post(LOGIN, {"username": username, "password": password})


def _zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_it_signs_in_with_the_directory_password_and_gives_the_groups_roles(client, ldap_on):
    user = UserFactory(username="20001", first_name="")
    answer = _login(client, "20001")
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.first_name == "张三"
    assert _roles(user) == {REVIEWER_GROUP}
    assert AuditEvent.objects.filter(action=Action.LOGIN, user=user).exists()


def test_it_takes_a_role_away_when_the_directory_group_no_longer_has_them(client, ldap_on):
    user = UserFactory(username="20002")
    user.groups.add(Group.objects.get(name=REVIEWER_GROUP), Group.objects.get(name=FILER_GROUP))
    assert _login(client, "20002").status_code == 302
    # Not in the reviewers' group: no longer a reviewer. Filers are not mapped: left alone.
    assert _roles(user) == {FILER_GROUP}


def test_it_refuses_a_wrong_password_and_records_it(client, ldap_on):
    UserFactory(username="20001")
    answer = _login(client, "20001", "wrong")
    assert answer.status_code == 200
    assert "_auth_user_id" not in client.session
    row = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (row.username, row.outcome) == ("20001", Outcome.FAILURE)


def test_it_creates_no_account_for_someone_only_the_directory_knows(client, ldap_on):
    answer = _login(client, "20002")
    assert answer.status_code == 200
    assert not get_user_model().objects.filter(username="20002").exists()
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILED).username == "20002"


def test_it_still_locks_out_after_too_many_failed_logins(client, ldap_on, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="20001")
    assert [_login(client, "20001", "wrong").status_code for _ in range(2)] == [200, 429]
    # Locked: axes refuses before the directory is asked, the right password too.
    assert _login(client, "20001").status_code == 429
    assert AccessAttempt.objects.filter(username="20001").exists()


def test_it_says_in_chinese_when_the_directory_is_down(client, ldap_on, settings):
    settings.AUTH_LDAP_SERVER_URI = f"ldap://127.0.0.1:{_free_port()}"
    UserFactory(username="20001")
    answer = _login(client, "20001")
    assert answer.status_code == 200
    assert _zh(LDAP_DOWN) in answer.content.decode()
    row = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert row.username == "20001" and row.detail.startswith("LDAP server unreachable")
    # Administrators' local passwords are checked first: they still get in.
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    assert _login(client, "admin", "pw-for-tests").status_code == 302


def test_it_keeps_the_directory_password_when_the_password_form_is_for_administrators(
    client, ldap_on, settings
):
    settings.NEWMEDIA_LOCAL_LOGIN_FOR_ALL = False
    UserFactory(username="20001")
    assert _login(client, "20001").status_code == 302
    # A local password is refused for anyone but administrators.
    UserFactory(username="filer")
    refused = _login(Client(), "filer", "pw-for-tests")
    assert refused.status_code == 200
    assert _zh(LOCAL_LOGIN_ADMINS_ONLY) in refused.content.decode()
