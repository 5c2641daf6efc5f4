import pytest
from django.urls import reverse

from .. import services
from .factories import days_ago, fine_account

pytestmark = pytest.mark.django_db
URL = reverse("cleanup:finding_list")


@pytest.fixture
def findings(department, other_department):
    mine = fine_account(department, name="省财政厅群", purpose="转发")
    zombie = fine_account(department, name="僵尸群", last_active_on=days_ago(100))
    theirs = fine_account(other_department, name="外单位僵尸群", last_active_on=days_ago(100))
    services.findings_evaluate()
    return mine, zombie, theirs


def _names(response):
    return {finding.account.name for finding in response.context["page"]}


def test_reviewers_see_every_department(client_for, reviewer, findings):
    assert _names(client_for(reviewer).get(URL)) == {"省财政厅群", "僵尸群", "外单位僵尸群"}


def test_it_filters_by_check_severity_notice_rule_and_department(
    client_for, reviewer, department, findings
):
    client = client_for(reviewer)
    assert _names(client.get(URL, {"rule": "forbidden_name"})) == {"省财政厅群"}
    assert _names(client.get(URL, {"severity": "blocking"})) == {"省财政厅群"}
    assert _names(client.get(URL, {"notice_rule": "R3"})) == {"僵尸群", "外单位僵尸群"}
    assert _names(client.get(URL, {"department": department.pk})) == {"省财政厅群", "僵尸群"}


def test_a_filer_sees_only_their_departments(
    client_for, filer, outsider, other_department, findings
):
    assert "外单位僵尸群" not in _names(client_for(filer).get(URL))
    # Asking for another department's findings shows none of them (the choice is not offered).
    response = client_for(filer).get(URL, {"department": other_department.pk})
    assert "外单位僵尸群" not in _names(response)


def test_it_needs_a_login(client):
    assert client.get(URL).status_code == 302


def test_filers_read_what_a_rule_asks_and_reviewers_keep_its_code(
    client_for, filer, reviewer, findings
):
    page = client_for(filer).get(URL).content.decode()
    assert "依据通知一、1：“不得以财政厅名义建设相关自媒体。”" in page
    assert "R1 " not in page and "R3 " not in page
    page = client_for(reviewer).get(URL).content.decode()
    # The filter by the notice's rule names each by code and by what it asks.
    assert "R1 不得以财政厅名义建设" in page
    assert "R1 名称违规" in page or "R1 禁用名称" in page
