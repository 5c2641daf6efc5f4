from django.urls import reverse

from approvals.models import Filing
from approvals.tests.factories import account_form_data
from registry.models import Account

URL = reverse("approvals:account_create")


def test_it_saves_a_new_account_as_a_draft(client_for, filer, department):
    response = client_for(filer).post(URL, account_form_data(department))
    account = Account.objects.get()
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert (account.department, account.created_by, account.filing.state) == (
        department,
        filer,
        Filing.State.DRAFT,
    )


def test_it_refuses_another_departments_id_and_saves_nothing(
    client_for, filer, department, other_department
):
    response = client_for(filer).post(URL, account_form_data(other_department))
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not Account.objects.exists()


def test_it_ignores_fields_that_try_to_set_the_state_or_the_id(client_for, filer, department):
    data = account_form_data(department, state="approved", id="999", version="7", created_by="1")
    client_for(filer).post(URL, data)
    account = Account.objects.get()
    assert (account.pk != 999, account.filing.state, account.version) == (True, "draft", 1)


def test_it_explains_a_broken_rule_and_saves_nothing(client_for, filer, department):
    data = account_form_data(department, category="temporary_group", task_end_on="")
    response = client_for(filer).post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "临时" in response.content.decode()
    assert not Account.objects.exists()


def test_it_refuses_a_number_already_registered_on_the_platform(client_for, filer, department):
    client = client_for(filer)
    client.post(URL, account_form_data(department))
    response = client.post(URL, account_form_data(department, name="另一个群"))
    assert response.status_code == 200
    assert Account.objects.count() == 1


def test_it_is_for_filers_only(client_for, reviewer):
    assert client_for(reviewer).get(URL).status_code == 403


def test_it_refuses_a_post_without_the_csrf_token(client_for, filer, department):
    response = client_for(filer).post_without_token(URL, account_form_data(department))
    assert response.status_code == 403
    assert not Account.objects.exists()
