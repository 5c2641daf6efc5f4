from django.urls import reverse


def test_it_logs_in_and_lands_on_the_dashboard(client, filer):
    response = client.post(
        reverse("login"), {"username": "filer", "password": "pw-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("approvals:dashboard")
    assert response.context["user"] == filer


def test_it_refuses_a_wrong_password(client, filer):
    response = client.post(reverse("login"), {"username": "filer", "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_it_logs_out_with_a_post_only(client_for, filer):
    client = client_for(filer)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"), {})
    assert client.get(reverse("approvals:dashboard")).status_code == 302
