"""/favicon.ico answers: browsers ask for it whatever a page links (issue 17)."""

from django.contrib.staticfiles import finders


def test_favicon_ico_answers_with_the_sites_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.svg")
    assert finders.find("favicon.svg")
