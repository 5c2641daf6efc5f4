"""The platforms public-sector accounts really run on, everywhere: the account form, the list's
filter, the command centre's chart, the register export; and 其他 with its own platform name."""

import pytest
from django.urls import reverse

from approvals.models import Filing
from approvals.services import exports
from approvals.tests.factories import account_form_data, filing_in
from registry.forms import PLATFORM_NAME_REQUIRED
from registry.models import Account

NEW = ["toutiao", "kuaishou", "xiaohongshu", "bilibili", "mini_program", "app"]


@pytest.mark.parametrize("platform", NEW)
def test_it_files_lists_and_filters_an_account_on_the_platform(
    client_for, filer, department, platform
):
    client = client_for(filer)
    data = account_form_data(department, platform=platform, name=f"测试{platform}号")
    data["category"] = "publishing"
    response = client.post(reverse("approvals:account_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    filing_in(Filing.State.DRAFT, department=department, platform="qq_group", name="别的群")
    page = client.get(reverse("approvals:account_list"), {"platform": platform})
    names = [a.name for a in page.context["page"]]
    assert names == [f"测试{platform}号"]


def test_it_shows_the_new_platforms_in_the_chart_and_the_export(client_for, reviewer, department):
    for n, platform in enumerate(NEW):
        filing_in(Filing.State.REGISTERED, department=department, platform=platform, number=f"n{n}")
    labels = [str(Account.Platform(p).label) for p in NEW]
    page = client_for(reviewer).get(reverse("approvals:command_centre")).content.decode()
    assert all(label in page for label in labels)
    register = exports.register_export(user=reviewer, file_format="csv").decode("utf-8-sig")
    assert all(label in register for label in labels)


def test_it_names_the_other_platform_and_requires_its_name(client_for, filer, department):
    client = client_for(filer)
    data = account_form_data(department, platform="other", name="校园网账号", number="")
    response = client.post(reverse("approvals:account_create"), data)
    assert response.status_code == 200
    assert str(PLATFORM_NAME_REQUIRED) in response.content.decode()
    response = client.post(
        reverse("approvals:account_create"), {**data, "platform_name": "今日校园"}
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert account.platform_label == "其他（今日校园）"


def test_two_other_accounts_on_different_platforms_may_share_a_number(department):
    filing_in(
        Filing.State.DRAFT, department=department, platform="other", platform_name="甲", number="x1"
    )
    filing_in(
        Filing.State.DRAFT, department=department, platform="other", platform_name="乙", number="x1"
    )
    assert Account.objects.filter(number="x1").count() == 2
