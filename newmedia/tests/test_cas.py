"""Signing in through CAS, against a real CAS 3.0 server (django-cas-server) in a process of its
own, with the site behind pytest-django's live server so that the CAS server can post its single
logout requests to it. Nothing of the protocol is imitated: every ticket is the server's."""

import os
import re
import socket
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from newmedia.signin import CAS_DOWN, LOCAL_LOGIN_ADMINS_ONLY, NO_ACCOUNT, TICKET_REFUSED
from newmedia.tests.cas_server import PASSWORD
from registry.tests.factories import DepartmentFactory, StaffFactory, UserFactory

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome
CAS_LOGIN = reverse("cas_ng_login")
SERVICES = r"^http://(localhost|127\.0\.0\.1):\d+/.*"  # what the CAS server serves: any site here


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cas_server(tmp_path_factory):
    """The CAS server's address."""
    port = _free_port()
    env = {**os.environ, "CAS_TEST_DB": str(tmp_path_factory.mktemp("cas") / "cas.sqlite3")}
    server = subprocess.Popen(
        [sys.executable, "-m", "newmedia.tests.cas_server.serve", str(port), SERVICES],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready", "the CAS server did not start"
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def cas(settings, cas_server, live_server):
    """CAS on, as the school's server is set up: the staff number, name and department come as
    the attributes employeeNumber, cn and department."""
    settings.CAS_SERVER_URL = cas_server
    settings.CAS_USERNAME_ATTRIBUTE = "employeeNumber"
    settings.NEWMEDIA_CAS_NAME_ATTRIBUTE = "cn"
    settings.NEWMEDIA_CAS_DEPARTMENT_ATTRIBUTE = "department"
    return live_server.url


class _Form(HTMLParser):
    """The fields of the CAS server's login form."""

    def __init__(self, html):
        super().__init__()
        self.fields = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def _ticket_url(browser, start: str, number: str) -> str:
    """Follow the site (or any service) to the CAS server and sign in there: the service's
    address with the ticket the CAS server issued, not yet visited."""
    page = browser.get(start)
    assert "/login" in page.url and "service=" in page.url, page.url
    fields = {**_Form(page.text).fields, "username": number, "password": PASSWORD}
    answer = browser.post(page.url, data=fields, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    assert "ticket=ST-" in answer.headers["Location"]
    return answer.headers["Location"]


def _sign_in(browser, site: str, number: str) -> requests.Response:
    return browser.get(_ticket_url(browser, site + CAS_LOGIN, number))


def _zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


@pytest.fixture
def staff_member(transactional_db, django_db_serialized_rollback):
    """张三, 工号 20001 of 会计学院, who files for it: the CAS server knows them. Committed, for
    the CAS server's process; serialized_rollback brings back what the migrations made (content
    types, groups) for the transactional tests that follow."""
    department = DepartmentFactory(name="会计学院")
    StaffFactory(staff_number="20001", name="张三", department=department)
    user = UserFactory(username="20001", first_name="张三")
    department.filers.add(user)
    return user


def _dashboard(browser, site) -> requests.Response:
    return browser.get(site + reverse("approvals:dashboard"))


def test_it_signs_a_staff_member_in_as_the_account_of_their_staff_number(cas, staff_member):
    browser = requests.Session()
    landing = _sign_in(browser, cas, "20001")
    assert landing.url == cas + reverse("approvals:dashboard")
    # Signed in as the account named by the staff number, whose departments (its filer and
    # head memberships, registry.roles) are the account's own.
    assert '<span class="navbar-text me-3">张三</span>' in landing.text
    row = AuditEvent.objects.get(action=Action.LOGIN)
    assert row.user == staff_member


def test_it_refuses_someone_not_in_the_staff_roster_and_creates_no_account(cas, staff_member):
    browser = requests.Session()
    page = _sign_in(browser, cas, "99999")
    assert page.status_code == 403
    assert _zh(NO_ACCOUNT) in page.text
    assert not get_user_model().objects.filter(username="99999").exists()
    assert reverse("login") in _dashboard(browser, cas).url
    row = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (row.username, row.outcome) == ("99999", Outcome.FAILURE)
    # The trail names the person as the CAS server does, for the administrator to add.
    assert "李四 (外聘单位)" in row.detail and "not in the staff roster" in row.detail


def test_it_creates_no_account_for_a_staff_member_without_one_unless_told(
    cas, staff_member, settings
):
    staff_member.delete()
    page = _sign_in(requests.Session(), cas, "20001")
    assert page.status_code == 403
    assert _zh(NO_ACCOUNT) in page.text
    assert not get_user_model().objects.filter(username="20001").exists()

    settings.CAS_CREATE_USER = True
    browser = requests.Session()
    landing = _sign_in(browser, cas, "20001")
    assert landing.url == cas + reverse("approvals:dashboard")
    created = get_user_model().objects.get(username="20001")
    assert (created.first_name, created.has_usable_password()) == ("张三", False)
    assert not created.groups.exists()  # roles are still the administrators' to grant


def test_it_refuses_a_replayed_ticket(cas, staff_member):
    first = requests.Session()
    ticket_url = _ticket_url(first, cas + CAS_LOGIN, "20001")
    assert first.get(ticket_url).url == cas + reverse("approvals:dashboard")

    thief = requests.Session()
    page = thief.get(ticket_url)
    assert page.status_code == 403
    assert _zh(TICKET_REFUSED) in page.text
    assert reverse("login") in _dashboard(thief, cas).url
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, detail="CAS ticket refused")


def test_it_does_not_lock_cas_out_after_refused_tickets(cas, staff_member, settings):
    # Stale tickets (a reloaded page) from one office's address must not lock its CAS sign-ins
    # out: axes guards passwords, the CAS server guards its own.
    settings.AXES_FAILURE_LIMIT = 2
    browser = requests.Session()
    forged = cas + CAS_LOGIN + "?ticket=ST-" + "A" * 64
    assert [browser.get(forged).status_code for _ in range(3)] == [403] * 3
    assert _sign_in(browser, cas, "20001").url == cas + reverse("approvals:dashboard")


def test_it_refuses_a_forged_ticket(cas, staff_member):
    browser = requests.Session()
    page = browser.get(cas + CAS_LOGIN + "?ticket=ST-" + "A" * 64)
    assert page.status_code == 403
    assert _zh(TICKET_REFUSED) in page.text
    assert reverse("login") in _dashboard(browser, cas).url


def test_it_refuses_a_ticket_issued_for_another_service(cas, staff_member):
    browser = requests.Session()
    other = urljoin(cas, "/another-service/")
    cas_login = f"{django_settings.CAS_SERVER_URL}login?service={other}"
    ticket_url = _ticket_url(browser, cas_login, "20001")
    ticket = re.search(r"ticket=(ST-[^&]+)", ticket_url).group(1)
    page = browser.get(f"{cas}{CAS_LOGIN}?ticket={ticket}")
    assert page.status_code == 403
    assert reverse("login") in _dashboard(browser, cas).url


def test_it_ends_the_session_when_the_cas_server_logs_out_everywhere(cas, staff_member):
    browser = requests.Session()
    _sign_in(browser, cas, "20001")
    assert _dashboard(browser, cas).url == cas + reverse("approvals:dashboard")
    # Signing out at the CAS server (from any other of the school's systems): the CAS server
    # posts a logout request to this site, which ends the session.
    browser.get(django_settings.CAS_SERVER_URL + "logout")
    assert reverse("login") in _dashboard(browser, cas).url
    row = AuditEvent.objects.get(action=Action.LOGOUT)
    assert (row.user, row.detail) == (staff_member, "single logout from the CAS server")


def test_it_signs_out_of_the_cas_server_too(cas, staff_member):
    browser = requests.Session()
    _sign_in(browser, cas, "20001")
    token = browser.cookies.get("csrftoken", domain="localhost.local")
    browser.post(
        cas + reverse("logout"),
        data={"csrfmiddlewaretoken": token},
        headers={"Origin": cas, "Referer": cas + "/"},
    )
    assert reverse("login") in _dashboard(browser, cas).url
    # The CAS server's own session is over: the next CAS sign-in asks for the password again.
    again = browser.get(cas + CAS_LOGIN)
    assert "service=" in again.url and 'name="password"' in again.text


@pytest.fixture
def cas_down(settings, db):
    settings.CAS_SERVER_URL = f"http://127.0.0.1:{_free_port()}/"


def test_it_says_in_chinese_when_the_cas_server_is_down(client, cas_down):
    page = client.get(CAS_LOGIN + "?ticket=ST-" + "A" * 64)
    assert page.status_code == 503
    assert _zh(CAS_DOWN) in page.content.decode()
    row = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert row.detail.startswith("CAS server unreachable")


def test_it_still_lets_administrators_in_with_their_password_when_cas_is_down(client, cas_down):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    answer = client.post(reverse("login"), {"username": "admin", "password": "pw-for-tests"})
    assert answer.status_code == 302
    assert "_auth_user_id" in client.session


def test_it_keeps_the_password_form_for_administrators_only_when_told(client, settings, db):
    settings.NEWMEDIA_LOCAL_LOGIN_FOR_ALL = False
    UserFactory(username="filer")
    UserFactory(username="admin", is_staff=True)
    refused = client.post(reverse("login"), {"username": "filer", "password": "pw-for-tests"})
    assert refused.status_code == 200
    assert _zh(LOCAL_LOGIN_ADMINS_ONLY) in refused.content.decode()
    assert "_auth_user_id" not in client.session
    answer = client.post(reverse("login"), {"username": "admin", "password": "pw-for-tests"})
    assert answer.status_code == 302


def test_it_offers_the_cas_button_only_when_cas_is_on(client, settings, db):
    button = "统一身份认证登录"
    assert button not in client.get(reverse("login")).content.decode()
    assert client.get(CAS_LOGIN).status_code == 404
    settings.CAS_SERVER_URL = "https://cas.example.edu.cn/cas/"
    assert button in client.get(reverse("login")).content.decode()
