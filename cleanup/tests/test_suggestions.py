"""Suggested dispositions prefill the filer's proposal and the reviewer's closure order; nothing
closes without a transition."""

import pytest
from django.urls import reverse

from approvals.forms import ClosureForm
from approvals.models import Filing
from approvals.tests.factories import filing_in
from registry.models import Account

from .. import services
from .factories import days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def zombie(department):
    filing = filing_in(Filing.State.SUBMITTED, department=department, last_active_on=days_ago(120))
    services.findings_evaluate()
    return filing


def test_the_closure_order_is_prefilled_from_the_finding(zombie, reviewer):
    form = ClosureForm(user=reviewer, instance=zombie)
    assert form.fields["kind"].initial == Account.Disposition.DISSOLVE
    assert days_ago(120).isoformat() in form.fields["reason"].initial
    assert Filing.objects.get(pk=zombie.pk).state == Filing.State.SUBMITTED


def test_the_filers_own_proposal_wins(department, reviewer):
    filing = filing_in(
        Filing.State.SUBMITTED,
        department=department,
        last_active_on=days_ago(120),
        disposition="take_down",
        disposition_reason="无特殊需要",
    )
    services.findings_evaluate()
    form = ClosureForm(user=reviewer, instance=filing)
    assert (form.fields["kind"].initial, form.fields["reason"].initial) == (
        "take_down",
        "无特殊需要",
    )


def test_a_merge_suggestion_names_the_survivor(department, reviewer):
    survivor = filing_in(
        Filing.State.REGISTERED,
        department=department,
        name="教职工群",
        member_count=80,
        last_active_on=days_ago(1),
    )
    duplicate = filing_in(
        Filing.State.SUBMITTED,
        department=department,
        name="2022教职工群",
        member_count=8,
        last_active_on=days_ago(1),
    )
    services.findings_evaluate()
    form = ClosureForm(user=reviewer, instance=duplicate)
    assert form.fields["kind"].initial == "merge"
    assert form.fields["merge_into"].initial == survivor.account_id


def test_the_filers_edit_form_offers_the_suggestion_and_fills_nothing_in(
    client_for, filer, department
):
    filing = filing_in(Filing.State.DRAFT, department=department, last_active_on=days_ago(120))
    services.findings_evaluate()
    url = reverse("approvals:account_edit", args=[filing.account_id])
    response = client_for(filer).get(url)
    assert response.context["form"].initial["disposition"] == "keep"  # the filer's own proposal
    assert response.context["suggestion"].kind == "dissolve"
    assert 'href="?adopt=1"' in response.content.decode()  # 采纳建议


def test_the_suggestion_fills_the_form_only_when_the_filer_adopts_it(client_for, filer, department):
    filing = filing_in(Filing.State.DRAFT, department=department, last_active_on=days_ago(120))
    services.findings_evaluate()
    url = reverse("approvals:account_edit", args=[filing.account_id])
    response = client_for(filer).get(url, {"adopt": "1"})
    assert response.context["form"].initial["disposition"] == "dissolve"
    assert response.context["adopted"]
    # Only a prefill: the stored proposal is unchanged until the filer saves.
    assert Account.objects.get(pk=filing.account_id).disposition == "keep"


def test_saving_an_unrelated_change_keeps_the_kept_account_kept(client_for, filer, department):
    """The edit form once came prefilled with the suggestion: fixing the purpose turned a kept
    group into 解散 without the filer noticing."""
    filing = filing_in(Filing.State.DRAFT, department=department, last_active_on=days_ago(120))
    services.findings_evaluate()
    url = reverse("approvals:account_edit", args=[filing.account_id])
    form = client_for(filer).get(url).context["form"]
    data = {
        name: value
        for name, field in form.fields.items()
        if (value := form[name].value()) is not None and value != ""
    }
    data["purpose"] = "课程通知与答疑"
    response = client_for(filer).post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    account = Account.objects.get(pk=filing.account_id)
    assert (account.purpose, account.disposition) == ("课程通知与答疑", "keep")
