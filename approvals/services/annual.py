"""年审: an annual-review campaign opens a confirmation for every account each department keeps
(approved or registered), and each is answered one of three ways: confirmed still in use with
its facts right (the step ``confirm_in_use``), a change request (变更备案), or a closure request.
What is still unanswered is what the reminders ask for, what the command centre counts and,
after the deadline, a finding (cleanup's ``annual_unconfirmed``)."""

from django.utils import timezone

from cleanup import services as cleanup_services
from registry.models import Account

from ..models import CHANGEABLE_STATES, AnnualConfirmation, Campaign


def confirmations_open(campaign: Campaign) -> int:
    """Open a confirmation for every account kept now, once per account and campaign: run when
    an active annual review is saved and by every daily sweep, so an account registered while
    the review runs is asked about too. How many were opened."""
    if not (campaign.is_annual_review and campaign.is_active):
        return 0
    kept = Account.objects.filter(filing__state__in=list(CHANGEABLE_STATES)).exclude(
        annual_confirmations__campaign=campaign
    )
    created = AnnualConfirmation.objects.bulk_create(
        [
            AnnualConfirmation(campaign=campaign, account_id=pk)
            for pk in kept.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    return len(created)


def confirmation_answered(confirmation: AnnualConfirmation, *, by) -> None:
    """After ``confirm_in_use``: who answered, and the account's late-confirmation finding is
    answered too."""
    AnnualConfirmation.objects.filter(pk=confirmation.pk).update(answered_by=by)
    cleanup_services.findings_refresh(department_ids={confirmation.account.department_id})


def confirmations_answer(*, account_id: int, state: str, by) -> int:
    """A change request or a closure request made for an account answers its pending
    confirmation in the active annual review (``state``: ``change`` or ``closure``)."""
    return AnnualConfirmation.objects.filter(
        account_id=account_id,
        state=AnnualConfirmation.State.PENDING,
        campaign__is_active=True,
    ).update(state=state, answered_by=by, state_changed_at=timezone.now())
