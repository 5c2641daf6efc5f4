"""The REST API speaks for the pages: the same visibility, forms, permissions and services,
with Chinese errors, tokens that can be revoked, and a fixed number of queries per page."""

import json

import pytest
from django.urls import reverse

from api.models import ApiToken
from approvals.models import Campaign, Filing
from approvals.tests.factories import CampaignFactory, bulk_accounts, filing_in
from audit.models import AuditEvent
from registry.models import Account

from .conftest import token_for

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/accounts/"


def _draft(department, **overrides) -> dict:
    """A complete account as JSON, as a script sends it."""
    return {
        "department": department.pk,
        "name": "会计学院教职工工作群",
        "platform": "qq_group",
        "number": "612345678",
        "naming_level": "department",
        "category": "work_group",
        "purpose": "布置日常工作",
        "created_on": "2024-09-01",
        "task_end_on": None,
        "owner_name": "张伟",
        "owner_post": "办公室主任",
        "owner_phone": "13800138000",
        "security_contact_name": "李娜",
        "member_count": 35,
        "real_name_admission": True,
        "last_active_on": "2026-11-01",
        "disposition": "keep",
        "rules_acknowledged": True,
        **overrides,
    }


def test_without_a_token_or_with_a_bad_one_it_answers_401_in_chinese_and_audits_it(client):
    answer = client.get(ACCOUNTS)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "身份认证信息未提供。"
    answer = client.get(ACCOUNTS, HTTP_AUTHORIZATION="Token not-a-key")
    assert answer.status_code == 401 and "令牌无效" in answer.json()["detail"]
    assert AuditEvent.objects.filter(action="login_failed", detail__startswith="API token").exists()


def test_a_revoked_token_or_a_deactivated_user_is_refused(client, filer):
    key = token_for(filer)
    assert client.get(ACCOUNTS, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    ApiToken.objects.update(revoked_at="2026-12-01T00:00:00Z")
    assert client.get(ACCOUNTS, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    ApiToken.objects.update(revoked_at=None)
    filer.is_active = False
    filer.save()
    assert client.get(ACCOUNTS, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_filer_lists_only_their_departments_accounts_with_the_pages_filters(
    api_for, filer, department, other_department
):
    filing_in(Filing.State.DRAFT, department=department, name="草稿群")
    filing_in(Filing.State.SUBMITTED, department=department, name="已提交群")
    filing_in(Filing.State.DRAFT, department=other_department, name="别人的群")
    api = api_for(filer)
    names = {a["name"] for a in api.get(ACCOUNTS).json()["results"]}
    assert names == {"草稿群", "已提交群"}
    [row] = api.get(ACCOUNTS, {"state": "draft"}).json()["results"]
    assert (row["name"], row["state"], row["state_label"]) == ("草稿群", "draft", "草稿")
    # Another department is not a choice of the filter: refused, not silently widened.
    answer = api.get(ACCOUNTS, {"department": other_department.pk})
    assert answer.status_code == 400 and "department" in answer.json()
    # So is a text that names only another department; one naming the filer's own filters.
    answer = api.get(ACCOUNTS, {"department_text": other_department.name})
    assert answer.status_code == 400 and "department" in answer.json()
    mine = api.get(ACCOUNTS, {"department_text": department.code}).json()["results"]
    assert {a["name"] for a in mine} == {"草稿群", "已提交群"}


def test_another_departments_account_is_404_for_reading_editing_and_steps(
    api_for, filer, other_department
):
    theirs = filing_in(Filing.State.DRAFT, department=other_department).account
    api = api_for(filer)
    url = f"{ACCOUNTS}{theirs.pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "改名"}, format="json").status_code == 404
    assert api.get(f"{url}steps/").status_code == 404
    assert api.post(f"{url}steps/", {"step": "submit"}, format="json").status_code == 404
    assert Account.objects.get(pk=theirs.pk).name != "改名"


def test_a_filer_adds_a_draft_and_state_id_and_version_are_not_theirs_to_set(
    api_for, filer, department, other_department
):
    api = api_for(filer)
    answer = api.post(
        ACCOUNTS, _draft(department, state="registered", id=999, version=7), format="json"
    )
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    assert (created["state"], created["version"]) == ("draft", 1)
    assert created["id"] != 999
    account = Account.objects.get(pk=created["id"])
    assert (account.department, account.filing.state) == (department, "draft")
    # Another department's id is no choice of the filer's.
    answer = api.post(ACCOUNTS, _draft(other_department, number="612345679"), format="json")
    assert answer.status_code == 400 and "department" in answer.json()
    assert not Account.objects.filter(department=other_department).exists()


def test_bad_input_is_a_400_in_chinese_and_saves_nothing(api_for, filer, department):
    api = api_for(filer)
    answer = api.post(
        ACCOUNTS, data='{"name": "群", ', content_type="application/json"
    )  # malformed JSON
    assert answer.status_code == 400 and "JSON" in answer.json()["detail"]
    answer = api.post(ACCOUNTS, _draft(department, member_count="很多"), format="json")
    assert answer.status_code == 400 and answer.json()["member_count"] == ["请填写合法的整数值。"]
    answer = api.post(ACCOUNTS, _draft(department, platform="other"), format="json")
    assert answer.status_code == 400 and "platform_name" in answer.json()  # the form's own rule
    assert not Account.objects.exists()


def test_an_edit_keeps_the_department_and_a_stale_version_is_409(
    api_for, filer, department, other_department
):
    account = filing_in(Filing.State.DRAFT, department=department, name="旧名").account
    api = api_for(filer)
    url = f"{ACCOUNTS}{account.pk}/"
    answer = api.patch(
        url, {"name": "新名", "department": other_department.pk, "version": 1}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["name"], answer.json()["version"]) == ("新名", 2)
    account.refresh_from_db()
    assert (account.name, account.department) == ("新名", department)
    answer = api.patch(url, {"name": "再改", "version": 1}, format="json")
    assert answer.status_code == 409 and "其他人" in answer.json()["detail"]
    Filing.objects.filter(account=account).update(state=Filing.State.REGISTERED)
    answer = api.patch(url, {"name": "再改"}, format="json")
    assert answer.status_code == 409
    account.refresh_from_db()
    assert account.name == "新名"


def test_steps_offered_taken_refused_with_the_reason_and_stale_409(
    api_for, filer, reviewer, department
):
    account = filing_in(Filing.State.DRAFT, department=department).account
    url = f"{ACCOUNTS}{account.pk}/steps/"
    filer_api, reviewer_api = api_for(filer), api_for(reviewer)
    offered = {a["name"] for a in filer_api.get(url).json()}
    assert "submit" in offered and "register" not in offered
    answer = filer_api.post(url, {"step": "register", "expected_state": "draft"}, format="json")
    assert answer.status_code == 403 and answer.json()["detail"]  # the reason, in Chinese
    answer = filer_api.post(url, {"step": "no_such_step"}, format="json")
    assert answer.status_code == 404
    answer = filer_api.post(
        url, {"step": "submit", "expected_state": "draft", "comment": "请审核"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["state"] == "submitted"
    # The reviewer read it as a draft: someone acted since.
    answer = reviewer_api.post(
        url,
        {"step": "return_for_revision", "expected_state": "draft", "comment": "补充"},
        format="json",
    )
    assert answer.status_code == 409 and "已提交" in answer.json()["detail"]
    answer = reviewer_api.post(
        url, {"step": "return_for_revision", "expected_state": "submitted"}, format="json"
    )
    assert answer.status_code == 400 and "comment" in json.dumps(answer.json())
    assert Filing.objects.get(account=account).state == "submitted"


def test_campaigns_returns_and_findings_are_read_as_the_pages_show_them(
    api_for, filer, reviewer, department, other_department
):
    CampaignFactory(title="旧行动", is_active=False)
    CampaignFactory(title="本次行动", is_active=True)
    assert [c["title"] for c in api_for(filer).get("/api/campaigns/").json()["results"]] == [
        "本次行动"
    ]
    assert len(api_for(reviewer).get("/api/campaigns/").json()["results"]) == 2
    campaign = Campaign.objects.get(is_active=True)
    from approvals.tests.factories import return_in

    return_in("handed_in", campaign=campaign, department=department)
    theirs = return_in("handed_in", campaign=campaign, department=other_department)
    rows = api_for(filer).get("/api/returns/").json()["results"]
    assert [r["department"] for r in rows] == [department.pk]
    assert api_for(filer).get(f"/api/returns/{theirs.pk}/").status_code == 404
    assert len(api_for(reviewer).get("/api/returns/").json()["results"]) == 2
    assert api_for(filer).get("/api/findings/").status_code == 200


@pytest.mark.parametrize("path", [ACCOUNTS, "/api/findings/", "/api/returns/"])
def test_a_lists_queries_do_not_grow_with_its_rows(
    api_for, reviewer, department, path, django_assert_max_num_queries
):
    api = api_for(reviewer)
    bulk_accounts(department, 5)
    api.get(path)  # caches warm
    with django_assert_max_num_queries(8) as few:
        assert api.get(path).status_code == 200
    bulk_accounts(department, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get(path).status_code == 200


def test_a_token_is_rate_limited_with_a_chinese_429(api_for, filer, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"}
    )
    api = api_for(filer)
    codes = [api.get(ACCOUNTS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "请求已被限流" in api.get(ACCOUNTS).json()["detail"]


def test_the_admin_makes_a_token_shows_its_key_once_and_revokes_it(admin_client, filer, client):
    page = admin_client.post(
        reverse("admin:api_apitoken_add"), {"user": filer.pk, "name": "数据中心同步"}, follow=True
    )
    [message] = [str(m) for m in page.context["messages"] if "只显示这一次" in str(m)]
    key = message.split("：", 1)[1].split("。")[0].strip()
    token = ApiToken.objects.get()
    assert token.prefix == key[:8] and key not in token.key_hash
    assert (
        key
        not in admin_client.get(
            reverse("admin:api_apitoken_change", args=[token.pk])
        ).content.decode()
    )
    assert client.get(ACCOUNTS, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert client.get(ACCOUNTS, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert list(
        AuditEvent.objects.filter(action__startswith="api_token").values_list("action", flat=True)
    ) == ["api_token_revoked", "api_token_created"]


def test_the_schema_and_its_page_are_served_from_here(client, filer):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(filer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/accounts/{id}/steps/" in schema.json()["paths"]
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
