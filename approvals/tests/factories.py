from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from approvals.models import Campaign, DepartmentReturn, Filing, ReturnState
from registry.models import Account
from registry.tests.factories import AccountFactory


class FilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Filing

    account = factory.SubFactory(AccountFactory)


def filing_in(state: str, **account_fields) -> Filing:
    """A filing put straight into a state, for tests that start part-way through the workflow.

    A queryset update is the one way past the protected state field; the site never does this.
    """
    filing = FilingFactory(account=AccountFactory(**account_fields))
    Filing.objects.filter(pk=filing.pk).update(**state_fields(state))
    return Filing.objects.select_related("account__department").get(pk=filing.pk)


def state_fields(state: str) -> dict:
    """The columns a filing in this state must have to satisfy its constraints."""
    fields = {"state": state}
    if state in (Filing.State.CLOSING, Filing.State.CLOSED):
        fields.update(closure_kind=Account.Disposition.DISSOLVE, closure_reason="长期不使用")
    if state == Filing.State.CLOSED:
        fields["closure_reported_at"] = timezone.now()
    return fields


def bulk_accounts(department, count: int) -> None:
    """Many accounts of one department, their filings spread over every state, in two queries."""
    accounts = Account.objects.bulk_create(AccountFactory.build_batch(count, department=department))
    states = list(Filing.State)
    Filing.objects.bulk_create(
        Filing(account=account, **state_fields(states[n % len(states)]))
        for n, account in enumerate(accounts)
    )


def account_form_data(department, **overrides) -> dict:
    """What a filer posts from the account form: every column of a complete account."""
    data = {
        "department": department.pk,
        "name": "会计学院教职工工作群",
        "platform": "qq_group",
        "account_type": "",
        "number": "612345678",
        "naming_level": "department",
        "category": "work_group",
        "purpose": "布置日常工作",
        "created_on": "2024-09-01",
        "task_end_on": "",
        "owner_name": "张伟",
        "owner_post": "办公室主任",
        "owner_phone": "13800138000",
        "security_contact_name": "李娜",
        "member_count": "35",
        "real_name_admission": "on",
        "last_active_on": "2026-11-01",
        "disposition": "keep",
        "merge_into": "",
        "disposition_reason": "",
        "remarks": "",
        "rules_acknowledged": "on",
    }
    data.update(overrides)
    return data


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"{2026 + n}年清理整治专项行动")
    document_number = "赣府厅明〔2020〕46号"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    deadline = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    office_email = "office@example.edu.cn"
    is_active = True


def return_in(state: str, *, campaign, department, scan: bytes | None = b"%PDF-1.4 x"):
    """A department return put straight into a state (with a stored scan unless ``scan`` is
    None), for tests that start part-way through; the site only moves it through the services."""
    department_return = DepartmentReturn.objects.create(campaign=campaign, department=department)
    fields = {"state": state}
    if scan is not None:
        fields["scan"] = default_storage.save("returns/test.pdf", ContentFile(scan))
        fields["scan_uploaded_at"] = timezone.now()
    if state in (ReturnState.HANDED_IN, ReturnState.ACCEPTED, ReturnState.RETURNED):
        fields["handed_in_at"] = timezone.now()
    DepartmentReturn.objects.filter(pk=department_return.pk).update(**fields)
    return DepartmentReturn.objects.select_related("campaign", "department").get(
        pk=department_return.pk
    )


def handed_in_return(*, campaign, department, by, reason: str = ""):
    """A department return handed in through the service: its form stored as snapshot no. 1."""
    from approvals.services import returns
    from approvals.services.steps import step_take

    department_return = returns.return_get(campaign=campaign, department=department)
    return step_take(department_return, "hand_in", by=by, reason=reason)
