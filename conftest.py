"""Personas shared by every test: a filer, a filer of another department (the outsider), a
reviewer and an administrator, and a client that enforces CSRF like a browser."""

import pytest
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from registry.roles import FILER_GROUP, REVIEWER_GROUP
from registry.tests.factories import DepartmentFactory, UserFactory


class CsrfClient(Client):
    """A test client that enforces CSRF; ``post`` sends the token a browser form would carry."""

    def __init__(self, **kwargs):
        super().__init__(enforce_csrf_checks=True, **kwargs)

    def post(self, path, data=None, **kwargs):
        # A browser holds the cookie from the page that showed the form: any page with a form.
        for page in ("login", "approvals:dashboard"):
            if "csrftoken" not in self.cookies:
                self.get(reverse(page))
        if isinstance(data, dict) and "csrfmiddlewaretoken" not in data:
            data = {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"].value}
        return super().post(path, data, **kwargs)

    def login(self, **credentials):
        # django-axes keys lockouts on the request, so authenticate() must receive one.
        return super().login(request=HttpRequest(), **credentials)

    def post_without_token(self, path, data=None, **kwargs):
        return super().post(path, data, **kwargs)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _publishing_afresh():
    """Each test starts with the broker's circuit breaker closed and its counters at zero."""
    from newmedia import publishing

    publishing.breaker_reset()
    publishing.counters.clear()


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def other_department(db):
    return DepartmentFactory()


def _member(group_name, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def filer(department):
    user = _member(FILER_GROUP, username="filer")
    department.filers.add(user)
    return user


@pytest.fixture
def outsider(other_department):
    """A filer, but of another department."""
    user = _member(FILER_GROUP, username="outsider")
    other_department.filers.add(user)
    return user


@pytest.fixture
def reviewer(db):
    return _member(REVIEWER_GROUP, username="reviewer")


@pytest.fixture
def second_reviewer(db):
    return _member(REVIEWER_GROUP, username="reviewer2")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def client():
    return CsrfClient()


@pytest.fixture
def client_for(client):
    """A CSRF-enforcing client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login
