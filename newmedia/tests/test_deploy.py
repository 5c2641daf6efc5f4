"""Production settings pass Django's deployment checks, the demo still runs over plain http, and
every page goes out with the security headers and runs no inline script."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import filing_in

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "newmedia.example.edu.cn",
    "NEWMEDIA_HTTPS": "1",
    "NEWMEDIA_SITE_URL": "https://newmedia.example.edu.cn",
    "DATABASE_URL": "sqlite://:memory:",
}


def _environment(**variables):
    """This process's environment without any of the settings' variables, plus the given ones."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in ("PATH", "HOME", "LANG", "SYSTEMROOT", "PYTHONPATH")
    }
    return {**kept, **variables}


def _run(args, **variables):
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(*names, **variables):
    """The values of the named settings, read by a fresh process from the given environment."""
    script = (
        "import json; from newmedia.settings import base; "
        f"print(json.dumps({{n: getattr(base, n, None) for n in {list(names)!r}}}))"
    )
    result = _run(["-c", script], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_it_passes_the_deployment_checks_with_the_production_environment():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_warn_when_the_sites_address_is_unset():
    unset = {key: value for key, value in PRODUCTION.items() if key != "NEWMEDIA_SITE_URL"}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **unset)
    assert result.returncode != 0
    assert "newmedia.W001" in result.stderr


def test_the_deployment_checks_fail_without_https():
    plain = {**PRODUCTION, "NEWMEDIA_HTTPS": "0"}
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **plain)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


SECURE = [
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
]


def test_the_demo_runs_over_plain_http():
    assert _settings(*SECURE, DEBUG="1") == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_one_switch_turns_https_on_and_each_setting_can_still_be_overridden():
    assert _settings(*SECURE, **PRODUCTION, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="60") == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 60,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_it_trusts_the_forwarded_scheme_of_a_trusted_proxy_only():
    behind_proxy = _settings("SECURE_PROXY_SSL_HEADER", DEBUG="1", NEWMEDIA_TRUSTED_PROXY_COUNT="1")
    assert behind_proxy == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}
    overridden = _settings(
        "SECURE_PROXY_SSL_HEADER",
        DEBUG="1",
        NEWMEDIA_TRUSTED_PROXY_COUNT="1",
        SECURE_PROXY_SSL_HEADER="0",
    )
    assert overridden == {"SECURE_PROXY_SSL_HEADER": None}


def test_it_sends_the_security_headers(client):
    response = client.get(reverse("login"))
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


class _InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, event handlers, inline styles."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self._in_inline_script = True
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on")]
        if "style" in names:
            self.found.append(f"{tag} style=")

    def handle_endtag(self, tag):
        self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"script: {data.strip()[:40]}")


def _inline_code(response):
    parser = _InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def _url(page, *, user, filing):
    args = {"approvals:account_detail": [filing.account_id], "admin:auth_user_change": [user.pk]}
    return reverse(page, args=args.get(page))


@pytest.mark.parametrize(
    ("persona", "page"),
    [
        ("filer", "login"),
        ("filer", "approvals:dashboard"),
        ("filer", "approvals:account_list"),
        ("filer", "approvals:account_create"),
        ("filer", "approvals:account_detail"),
        ("reviewer", "approvals:review_queue"),
        ("reviewer", "audit:event_list"),
        ("reviewer", "audit:lockout_list"),
        ("admin_user", "admin:index"),
        ("admin_user", "admin:approvals_filing_changelist"),
        ("admin_user", "admin:auth_user_change"),
    ],
)
def test_its_pages_need_no_inline_code(request, client, department, persona, page):
    user = request.getfixturevalue(persona)
    filing = filing_in(Filing.State.DRAFT, department=department)
    if page != "login":
        client.force_login(user)
    response = client.get(_url(page, user=user, filing=filing))
    assert response.status_code == 200
    assert _inline_code(response) == []
