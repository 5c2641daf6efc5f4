"""Request bodies over the site's limit are refused before anything reads them."""

from django.urls import reverse

from newmedia.middleware import REQUEST_TOO_LARGE


def test_it_refuses_a_body_over_the_limit_with_413(client, settings, db):
    settings.NEWMEDIA_MAX_REQUEST_BYTES = 1000
    response = client.post_without_token(reverse("login"), {"username": "x" * 2000})
    assert response.status_code == 413
    assert response.content.decode() == REQUEST_TOO_LARGE % {"limit": "1000\xa0字节"}


def test_it_lets_a_body_within_the_limit_through(client, settings, db):
    settings.NEWMEDIA_MAX_REQUEST_BYTES = 1000
    response = client.post_without_token(reverse("login"), {"username": "x" * 100})
    assert response.status_code != 413
