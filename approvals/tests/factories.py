import factory
from django.utils import timezone

from approvals.models import Filing
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
    changes = {"state": state}
    if state in (Filing.State.CLOSING, Filing.State.CLOSED):
        changes.update(closure_kind=Account.Disposition.DISSOLVE, closure_reason="长期不使用")
    if state == Filing.State.CLOSED:
        changes["closure_reported_at"] = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(**changes)
    return Filing.objects.select_related("account__department").get(pk=filing.pk)
