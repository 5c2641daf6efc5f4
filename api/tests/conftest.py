import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken


def token_for(user, name="测试脚本") -> str:
    token = ApiToken(user=user, name=name)
    key = token.new_key()
    token.save()
    return key


@pytest.fixture
def api_for(db):
    """An API client carrying a new token of the given user."""

    def client(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return api

    return client


@pytest.fixture(autouse=True)
def _rates_afresh():
    """Each test starts with no request counted against any rate limit."""
    cache.clear()
