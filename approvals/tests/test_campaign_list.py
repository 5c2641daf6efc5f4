from django.urls import reverse

from approvals.services import steps
from approvals.tests.factories import CampaignFactory

URL = reverse("approvals:campaign_list")


def test_it_lists_the_campaigns_for_a_reviewer(client_for, reviewer):
    CampaignFactory(title="2027年专项行动", is_active=True, reminder_days=[7, 3, 1, 0])
    CampaignFactory(title="2026年专项行动", is_active=False)
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "2027年专项行动" in body and "2026年专项行动" in body
    assert "7, 3, 1, 0" in body
    assert reverse("approvals:campaign_create") in body


def test_it_answers_403_with_the_reason_to_a_filer(client_for, filer):
    response = client_for(filer).get(URL)
    assert response.status_code == 403
    assert str(steps.REVIEWER_ONLY) in response.content.decode()


def test_it_answers_403_to_the_outsider(client_for, outsider):
    assert client_for(outsider).get(URL).status_code == 403


def test_it_links_reviewers_to_campaigns_and_returns_but_not_filers(client_for, reviewer, filer):
    links = (URL, reverse("approvals:return_list"))
    body = client_for(reviewer).get(reverse("approvals:dashboard")).content.decode()
    assert all(f'href="{link}"' in body for link in links)
    body = client_for(filer).get(reverse("approvals:dashboard")).content.decode()
    assert not any(f'href="{link}"' in body for link in links)
