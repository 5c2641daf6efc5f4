"""A blocking finding stops approval and registration, on the site and in the admin, with its
explanation; resolving it (renaming, naming an owner in post) lets them proceed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import services as approvals_services
from approvals.models import Filing
from approvals.tests.factories import account_form_data, filing_in
from registry.models import Account, Staff
from registry.tests.factories import StaffFactory

from .. import services
from ..models import Finding
from .factories import closed, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def departed_owner(department):
    return StaffFactory(
        department=department, name="王芳", status=Staff.Status.LEFT, left_on=days_ago(60)
    )


@pytest.fixture
def submitted(department, departed_owner):
    filing = filing_in(
        Filing.State.SUBMITTED,
        department=department,
        owner=departed_owner,
        owner_name="王芳",
        last_active_on=days_ago(1),
    )
    services.findings_evaluate()
    return filing


def _explanation(filing):
    return Finding.objects.open().get(account=filing.account, rule="owner_departed").explanation


def test_the_service_refuses_with_the_explanation(submitted, reviewer):
    with pytest.raises(ValidationError) as refused:
        approvals_services.step_take(submitted, "register", by=reviewer)
    assert refused.value.messages == [_explanation(submitted)]
    assert Filing.objects.get(pk=submitted.pk).state == Filing.State.SUBMITTED


def test_the_account_page_shows_why_registering_is_disabled(client_for, reviewer, submitted):
    page = client_for(reviewer).get(submitted.account.get_absolute_url()).content.decode()
    assert _explanation(submitted) in page
    assert "disabled" in page


def test_posting_the_registration_anyway_is_refused(client_for, reviewer, submitted):
    url = reverse("approvals:account_transition", args=[submitted.account_id, "register"])
    response = client_for(reviewer).post(url, {})
    assert response.status_code == 400
    assert _explanation(submitted) in response.content.decode()
    assert Filing.objects.get(pk=submitted.pk).state == Filing.State.SUBMITTED


def test_the_admin_shows_the_finding_and_refuses(client_for, admin_user, submitted):
    client = client_for(admin_user)
    page = client.get(reverse("admin:approvals_filing_change", args=[submitted.pk]))
    assert _explanation(submitted) in page.content.decode()
    response = client.post(
        reverse("admin:approvals_filing_transition", args=[submitted.pk, "register"]),
        {"comment": ""},
        follow=True,
    )
    assert _explanation(submitted) in response.content.decode()
    assert Filing.objects.get(pk=submitted.pk).state == Filing.State.SUBMITTED


def test_naming_an_owner_in_post_lets_registration_proceed(
    client_for, filer, reviewer, department, submitted
):
    Filing.objects.filter(pk=submitted.pk).update(state=Filing.State.RETURNED)
    StaffFactory(department=department, name="李强")
    account = Account.objects.get(pk=submitted.account_id)
    client = client_for(filer)
    client.post(
        reverse("approvals:account_edit", args=[account.pk]),
        account_form_data(
            department,
            version=str(account.version),
            name=account.name,
            number=account.number,
            owner_name="李强",
            last_active_on=days_ago(1).isoformat(),
        ),
    )
    assert not Finding.objects.open().filter(account=account, rule="owner_departed").exists()
    filing = Filing.objects.get(pk=submitted.pk)
    approvals_services.step_take(filing, "submit", by=filer)
    approvals_services.step_take(filing, "register", by=reviewer)
    assert Filing.objects.get(pk=submitted.pk).state == Filing.State.REGISTERED


def test_renaming_a_forbidden_name_lets_registration_proceed(
    client_for, filer, reviewer, department
):
    filing = filing_in(Filing.State.RETURNED, department=department, name="省财政厅政策群")
    services.findings_evaluate()
    assert Finding.objects.open().filter(account=filing.account, rule="forbidden_name").exists()
    account = filing.account
    client_for(filer).post(
        reverse("approvals:account_edit", args=[account.pk]),
        account_form_data(
            department, version=str(account.version), name="财务处政策群", number=account.number
        ),
    )
    assert not Finding.objects.open().filter(account=account, rule="forbidden_name").exists()
    filing = Filing.objects.get(pk=filing.pk)
    approvals_services.step_take(filing, "submit", by=filer)
    approvals_services.step_take(filing, "register", by=reviewer)
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.REGISTERED


def test_a_closed_number_back_in_use_blocks_too(department, reviewer):
    closed(department=department, number="612000001")
    filing = filing_in(Filing.State.SUBMITTED, department=department, number="612 000 001")
    services.findings_evaluate()
    with pytest.raises(ValidationError) as refused:
        approvals_services.step_take(filing, "register", by=reviewer)
    assert "612000001" in refused.value.messages[0]


def test_warnings_do_not_block(department, reviewer):
    filing = filing_in(Filing.State.SUBMITTED, department=department, last_active_on=None)
    services.findings_evaluate()
    assert Finding.objects.open().filter(account=filing.account).exists()
    approvals_services.step_take(filing, "register", by=reviewer)
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.REGISTERED
