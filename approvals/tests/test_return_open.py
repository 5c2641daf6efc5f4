from django.urls import reverse

from approvals.models import DepartmentReturn, ReturnState
from approvals.services import steps
from approvals.tests.factories import CampaignFactory


def _url(department):
    return reverse("approvals:return_open", args=[department.pk])


def test_it_opens_the_departments_return_once_and_shows_it(client_for, filer, department):
    campaign = CampaignFactory()
    client = client_for(filer)
    first = client.post(_url(department), {})
    department_return = DepartmentReturn.objects.get()
    assert first.status_code == 302
    assert first["Location"] == department_return.get_absolute_url()
    assert (department_return.campaign, department_return.department) == (campaign, department)
    assert department_return.state == ReturnState.NOT_STARTED
    # Twice (a double click, a second tab) is the same return.
    assert client.post(_url(department), {})["Location"] == department_return.get_absolute_url()
    assert DepartmentReturn.objects.count() == 1


def test_it_refuses_a_get_so_a_page_view_never_writes(client_for, filer, department):
    CampaignFactory()
    assert client_for(filer).get(_url(department)).status_code == 405
    assert not DepartmentReturn.objects.exists()


def test_it_answers_404_to_the_outsider(client_for, outsider, department):
    CampaignFactory()
    assert client_for(outsider).post(_url(department), {}).status_code == 404
    assert not DepartmentReturn.objects.exists()


def test_it_answers_403_with_the_reason_to_a_reviewer(client_for, reviewer, department):
    CampaignFactory()
    response = client_for(reviewer).post(_url(department), {})
    assert response.status_code == 403
    assert steps.FILER_ONLY % {"department": department.name} in response.content.decode()
    assert not DepartmentReturn.objects.exists()


def test_it_answers_404_without_an_active_campaign(client_for, filer, department):
    CampaignFactory(is_active=False)
    assert client_for(filer).post(_url(department), {}).status_code == 404
    assert not DepartmentReturn.objects.exists()


def test_it_refuses_a_post_without_the_csrf_token(client_for, filer, department):
    CampaignFactory()
    assert client_for(filer).post_without_token(_url(department)).status_code == 403
    assert not DepartmentReturn.objects.exists()
