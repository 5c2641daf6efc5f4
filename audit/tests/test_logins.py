"""Failed logins lock a username at one client address for a while; reviewers can lift it early;
every login, failure, lockout, unlock and logout is in the audit trail with the real address."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditEvent
from registry.tests.factories import UserFactory

Action, Outcome = AuditEvent.Action, AuditEvent.Outcome

LOGIN = reverse("login")
LOCKOUTS = reverse("audit:lockout_list")
UNLOCK = reverse("audit:lockout_unlock")
PASSWORD = "pw-for-tests"  # the factories' password
HOME = "203.0.113.9"  # the filer's computer
ELSEWHERE = "198.51.100.20"
PROXY = "10.0.0.1"


def _attempt(client, username, password, *, address=HOME, **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def _fail(client, username, times, **kwargs):
    return [_attempt(client, username, "wrong", **kwargs).status_code for _ in range(times)]


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_it_locks_a_username_at_one_address_after_the_limit(client, filer, limit):
    assert _fail(client, "filer", limit) == [200] * (limit - 1) + [429]
    # Locked: the right password does not get in either, and is not even checked.
    response = _attempt(client, "filer", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_still_lets_the_username_in_from_another_address(client, filer, limit):
    _fail(client, "filer", limit)
    response = _attempt(Client(), "filer", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302


def test_it_shows_a_chinese_page_saying_until_when_and_whom_to_ask(client, filer, limit):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _fail(client, "filer", limit - 1)
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        response = _attempt(client, "filer", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    with translation.override("zh-hans"):
        for text in ("Login locked", "Back to the login page"):
            assert gettext(text) in page
    # The lock lifts a cool-off after the failure that set it, shown in Beijing time.
    until = timezone.localtime(now + timedelta(minutes=2) + timedelta(minutes=15))
    assert until.strftime("%Y-%m-%d %H:%M") in page


def test_it_lifts_the_lock_after_the_cool_off(client, filer, limit, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail(client, "filer", limit)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert _attempt(client, "filer", PASSWORD).status_code == 429
    # Tries during the lock do not extend it.
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _attempt(client, "filer", PASSWORD).status_code == 302


def test_a_success_starts_the_count_again(client, filer, limit):
    _fail(client, "filer", limit - 1)
    assert _attempt(client, "filer", PASSWORD).status_code == 302
    client.post(reverse("logout"), {})
    assert _fail(client, "filer", limit - 1) == [200] * (limit - 1)
    assert _attempt(client, "filer", PASSWORD).status_code == 302


def _through_proxy(forwarded):
    """A request as the one trusted proxy passes it on: it appends the address it saw."""
    return {"address": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def test_a_forged_forwarded_for_header_does_not_dodge_a_lock(client, filer, limit, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    # The attacker at HOME forges another address on every try; the proxy still appends HOME.
    for forged in range(limit):
        _attempt(client, "filer", "wrong", **_through_proxy(f"192.0.2.{forged}, {HOME}"))
    assert AccessAttempt.objects.get().ip_address == HOME
    response = _attempt(client, "filer", PASSWORD, **_through_proxy(f"{ELSEWHERE}, {HOME}"))
    assert response.status_code == 429


def test_a_forged_forwarded_for_header_does_not_lock_someone_else(client, filer, limit, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    # Someone ELSEWHERE claiming to be at HOME fails under their own address ...
    _fail(client, "filer", limit, **_through_proxy(f"{HOME}, {ELSEWHERE}"))
    assert AccessAttempt.objects.get().ip_address == ELSEWHERE
    # ... so the real user at HOME still logs in.
    response = _attempt(Client(), "filer", PASSWORD, **_through_proxy(HOME))
    assert response.status_code == 302


def test_it_answers_an_unknown_user_like_a_wrong_password(client, filer):
    UserFactory(username="left", is_active=False)

    def error(username, password):
        response = _attempt(Client(), username, password)
        assert response.status_code == 200
        return response.context["form"].non_field_errors()

    wrong_password = error("filer", "wrong")
    assert wrong_password == error("nobody-by-this-name", "wrong")
    assert wrong_password == error("left", PASSWORD)  # a deactivated user, right password
    assert "用户名" in wrong_password[0]  # Django's own message, in Chinese


def test_it_explains_password_rules_in_chinese():
    with pytest.raises(ValidationError) as refused:
        validate_password("8264", user=UserFactory.build(username="filer"))
    assert refused.value.messages == [
        "密码长度太短。密码必须包含至少 8 个字符。",
        "密码只包含数字。",
    ]


# The lockouts page


def _logged_in(client, user):
    """Another browser, beside the one trying to log in."""
    other = type(client)()
    other.force_login(user)
    return other


def test_it_lets_a_reviewer_unlock_a_login_and_records_it(client, filer, reviewer, limit):
    _fail(client, "filer", limit)
    reviewer_client = _logged_in(client, reviewer)
    [lockout] = reviewer_client.get(LOCKOUTS).context["lockouts"]
    assert (lockout["username"], lockout["ip_address"], lockout["failures"]) == (
        "filer",
        HOME,
        limit,
    )
    response = reviewer_client.post(UNLOCK, {"username": "filer", "ip_address": HOME})
    assert response.status_code == 302
    assert _attempt(client, "filer", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action=Action.UNLOCKED)
    assert (event.user, event.detail) == (reviewer, f"unlocked filer at {HOME}")
    assert reviewer_client.get(LOCKOUTS).context["lockouts"] == []


def test_it_writes_one_row_when_two_reviewers_unlock_the_same_login(
    client, filer, reviewer, second_reviewer, limit
):
    _fail(client, "filer", limit)
    for user in (reviewer, second_reviewer):
        _logged_in(client, user).post(UNLOCK, {"username": "filer", "ip_address": HOME})
    assert AuditEvent.objects.filter(action=Action.UNLOCKED).count() == 1


def test_it_keeps_filers_away_from_the_lockouts(client, filer, outsider, limit):
    _fail(client, "filer", limit)
    outsider_client = _logged_in(client, outsider)
    assert outsider_client.get(LOCKOUTS).status_code == 403
    response = outsider_client.post(UNLOCK, {"username": "filer", "ip_address": HOME})
    assert response.status_code == 403
    assert _attempt(client, "filer", PASSWORD).status_code == 429


def test_it_refuses_to_unlock_with_a_get(client_for, reviewer):
    assert client_for(reviewer).get(UNLOCK).status_code == 405


def test_it_keeps_axes_own_pages_in_the_admin(admin_user, client, filer, limit):
    _fail(client, "filer", limit)
    response = _logged_in(client, admin_user).get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert "filer" in response.content.decode()


# The audit trail of logins


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_it_records_a_login_and_a_logout_with_the_client_address(client, filer, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    assert (
        _attempt(client, "filer", PASSWORD, **_through_proxy(f"1.1.1.1, {HOME}")).status_code == 302
    )
    client.post(reverse("logout"), {}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOME)
    [login] = _events(Action.LOGIN)
    [logout] = _events(Action.LOGOUT)
    assert (login.user, login.client_ip, login.outcome) == (filer, HOME, Outcome.SUCCESS)
    assert (logout.user, logout.client_ip, logout.detail) == (filer, HOME, "")


def test_it_records_a_failed_login_with_the_name_as_typed(client, filer, settings):
    settings.NEWMEDIA_TRUSTED_PROXY_COUNT = 1
    _attempt(client, "Filer ", "wrong", **_through_proxy(f"1.1.1.1, {HOME}"))
    [failed] = _events(Action.LOGIN_FAILED)
    assert (failed.user, failed.username, failed.client_ip, failed.outcome) == (
        None,
        "Filer",  # the form strips the spaces; the case stays as typed
        HOME,
        Outcome.FAILURE,
    )
    assert not _events(Action.LOGIN)


def test_it_records_the_lockout_and_each_refused_try(client, filer, limit):
    _fail(client, "filer", limit)
    _attempt(client, "filer", PASSWORD)
    locked, refused = _events(Action.LOCKED_OUT)
    assert (locked.username, locked.client_ip, locked.outcome) == ("filer", HOME, Outcome.FAILURE)
    assert locked.detail == f"locked after {limit} failed logins"
    assert (refused.username, refused.detail) == ("filer", "refused while locked")
    assert len(_events(Action.LOGIN_FAILED)) == limit + 1
