from django.urls import reverse

from approvals import services
from approvals.models import Filing
from approvals.tests.factories import account_form_data, filing_in
from registry import services as registry_services
from registry.models import Account


def _url(filing):
    return reverse("approvals:account_edit", args=[filing.account_id])


def _post(client, filing, department, **overrides):
    data = account_form_data(department, version=str(filing.account.version), **overrides)
    return client.post(_url(filing), data)


def test_it_saves_a_filers_change_to_a_draft(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    response = _post(client_for(filer), filing, department, purpose="改过的用途")
    account = Account.objects.get(pk=filing.account_id)
    assert response.status_code == 302
    assert (account.purpose, account.version) == ("改过的用途", 2)


def test_it_saves_a_change_to_a_returned_account(client_for, filer, department):
    filing = filing_in(Filing.State.RETURNED, department=department)
    _post(client_for(filer), filing, department, purpose="按要求修改")
    assert Account.objects.get(pk=filing.account_id).purpose == "按要求修改"


def test_it_refuses_to_change_a_submitted_account(client_for, filer, department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, purpose="原用途")
    client = client_for(filer)
    page = client.get(_url(filing), follow=True)
    assert page.redirect_chain[-1][0] == filing.account.get_absolute_url()
    response = _post(client, filing, department, purpose="偷偷修改")
    assert response.status_code == 302
    assert Account.objects.get(pk=filing.account_id).purpose == "原用途"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [services.NOT_EDITABLE % {"state": Filing.State.SUBMITTED.label}]


def test_it_tells_the_filer_someone_else_saved_first(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    client = client_for(filer)
    stale = account_form_data(department, version="1", purpose="我的修改")
    other = Account.objects.get(pk=filing.account_id)
    other.purpose = "同事的修改"
    registry_services.account_update(account=other, version=1, by=None, path="site")
    response = client.post(_url(filing), stale)
    assert response.status_code == 200
    assert str(registry_services.STALE_EDIT) in response.content.decode()
    assert Account.objects.get(pk=filing.account_id).purpose == "同事的修改"


def test_it_refuses_moving_the_account_to_another_department(
    client_for, filer, department, other_department
):
    filing = filing_in(Filing.State.DRAFT, department=department)
    response = _post(client_for(filer), filing, other_department)
    assert "department" in response.context["form"].errors
    assert Account.objects.get(pk=filing.account_id).department == department


def test_it_answers_404_to_the_outsider(client_for, outsider, department):
    filing = filing_in(Filing.State.DRAFT, department=department, purpose="原用途")
    response = _post(client_for(outsider), filing, department, purpose="外人修改")
    assert response.status_code == 404
    assert Account.objects.get(pk=filing.account_id).purpose == "原用途"


def test_it_refuses_a_reviewer(client_for, reviewer, department):
    filing = filing_in(Filing.State.DRAFT, department=department)
    assert client_for(reviewer).get(_url(filing)).status_code == 403
