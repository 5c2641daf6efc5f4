"""Creating and editing campaigns: the campaign_create and campaign_edit pages."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import Campaign
from approvals.models.campaign import MILESTONES_INVALID
from approvals.services import steps
from approvals.tests.factories import CampaignFactory

CREATE = reverse("approvals:campaign_create")


def _data(**overrides):
    data = {
        "title": "2027年新媒体清理整治专项行动",
        "document_number": "赣府厅明〔2020〕46号",
        "starts_on": "2027-05-01",
        "deadline": "2027-06-08",
        "reminder_days": "7, 3, 1, 0",
        "office_email": "office@example.edu.cn",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _errors(response):
    form = response.context["form"]
    return [str(e) for errors in form.errors.values() for e in errors]


def test_it_creates_a_campaign_with_its_milestones_typed_as_text(client_for, reviewer):
    response = client_for(reviewer).post(CREATE, _data(reminder_days="1，7、 3 0, 7"))
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:campaign_list")
    campaign = Campaign.objects.get()
    assert campaign.reminder_days == [7, 3, 1, 0]
    assert (campaign.deadline, campaign.is_active) == (datetime.date(2027, 6, 8), True)


def test_it_proposes_the_next_june_8_and_the_usual_milestones(client_for, reviewer):
    form = client_for(reviewer).get(CREATE).context["form"]
    deadline = form["deadline"].value()
    assert (deadline.month, deadline.day) == (6, 8)
    assert deadline >= datetime.date.today()
    assert form["reminder_days"].value() == "7, 3, 1, 0"


def test_it_refuses_a_deadline_before_the_start(client_for, reviewer):
    response = client_for(reviewer).post(CREATE, _data(starts_on="2027-06-09"))
    assert response.status_code == 200
    assert "截止日期不能早于开始日期。" in _errors(response)
    assert not Campaign.objects.exists()


def test_it_refuses_a_second_active_campaign(client_for, reviewer):
    CampaignFactory(is_active=True)
    response = client_for(reviewer).post(CREATE, _data())
    assert "已有进行中的专项行动，请先结束它。" in response.content.decode()
    assert Campaign.objects.count() == 1
    # Inactive, it is saved: a campaign for next year, prepared in advance.
    assert client_for(reviewer).post(CREATE, _data(is_active="")).status_code == 302
    assert Campaign.objects.count() == 2


@pytest.mark.parametrize("text", ["7, -1", "a", "", "3.5", "7, 400"])
def test_it_explains_milestones_that_are_not_whole_days(client_for, reviewer, text):
    response = client_for(reviewer).post(CREATE, _data(reminder_days=text))
    assert response.status_code == 200
    assert response.context["form"].errors["reminder_days"] == [str(MILESTONES_INVALID)]
    assert not Campaign.objects.exists()


def test_it_edits_a_campaign(client_for, reviewer):
    campaign = CampaignFactory(reminder_days=[5, 0])
    client = client_for(reviewer)
    url = reverse("approvals:campaign_edit", args=[campaign.pk])
    assert client.get(url).context["form"]["reminder_days"].value() == "5, 0"
    response = client.post(url, _data(title="改过的标题", reminder_days="10, 2"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.title, campaign.reminder_days) == ("改过的标题", [10, 2])


def test_it_lets_the_active_campaign_be_edited_while_it_stays_active(client_for, reviewer):
    campaign = CampaignFactory(is_active=True)
    url = reverse("approvals:campaign_edit", args=[campaign.pk])
    assert client_for(reviewer).post(url, _data()).status_code == 302


def test_it_answers_403_with_the_reason_to_a_filer(client_for, filer):
    campaign = CampaignFactory()
    client = client_for(filer)
    for url in (CREATE, reverse("approvals:campaign_edit", args=[campaign.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert str(steps.REVIEWER_ONLY) in response.content.decode()
        assert client.post(url, _data(title="不该保存")).status_code == 403
    assert not Campaign.objects.filter(title="不该保存").exists()


def test_it_answers_404_for_an_unknown_campaign(client_for, reviewer):
    assert (
        client_for(reviewer).get(reverse("approvals:campaign_edit", args=[99])).status_code == 404
    )


def test_it_refuses_a_post_without_the_csrf_token(client_for, reviewer):
    assert client_for(reviewer).post_without_token(CREATE, _data()).status_code == 403
    assert not Campaign.objects.exists()


def test_publishing_the_summary_before_the_deadline_asks_for_a_confirmation(client_for, reviewer):
    today = timezone.localdate()
    ahead = {"starts_on": f"{today:%Y-%m-%d}", "deadline": f"{today + timedelta(days=90):%Y-%m-%d}"}
    response = client_for(reviewer).post(CREATE, _data(summary_published="on", **ahead))
    assert response.status_code == 200
    assert any(ahead["deadline"] in e and "提前公开" in e for e in _errors(response))
    assert not Campaign.objects.exists()
    confirmed = client_for(reviewer).post(
        CREATE, _data(summary_published="on", publish_early="on", **ahead)
    )
    assert confirmed.status_code == 302
    assert Campaign.objects.get().summary_published


def test_after_the_deadline_the_summary_is_published_without_more(client_for, reviewer):
    today = timezone.localdate()
    past = {
        "starts_on": f"{today - timedelta(days=200):%Y-%m-%d}",
        "deadline": f"{today - timedelta(days=1):%Y-%m-%d}",
    }
    assert (
        client_for(reviewer).post(CREATE, _data(summary_published="on", **past)).status_code == 302
    )
    assert Campaign.objects.get().summary_published
