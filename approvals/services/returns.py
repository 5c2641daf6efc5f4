"""Department returns (登记表报送): the stamped form uploaded, handed in, accepted or sent back.

Each step is taken with ``steps.step_take``, as the filings' are (permission, guard, one
transaction, log and audit rows, notifications). Handing in also emails the electronic copy to
the campaign's office mailbox, from a task queued on commit that claims the return before sending
and marks it after, as notifications are sent (``notifications.notification_email_send``).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from newmedia.dbretry import DATABASE_ERRORS, db_retrying
from newmedia.publishing import publish_on_commit
from registry.models import Department

from ..models import Campaign, DepartmentReturn
from .exports import return_copy_xlsx
from .notifications import EmailSentUnrecorded

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def return_get(*, campaign: Campaign, department: Department) -> DepartmentReturn:
    """The department's return to the campaign, opened (not started) on first use."""
    department_return, _created = DepartmentReturn.objects.get_or_create(
        campaign=campaign, department=department
    )
    return department_return


def return_copy_owed(department_return: DepartmentReturn, *, by) -> None:
    """On hand-in: the electronic copy is owed (again, after a send-back) and queued on commit."""
    from ..tasks import send_return_copy

    # Reset for a return handed in again after being sent back: this copy is owed too.
    DepartmentReturn.objects.filter(pk=department_return.pk).update(
        copy_sent_at=None, copy_claimed_at=None
    )
    pk = department_return.pk
    publish_on_commit([(send_return_copy, (pk,))])


def return_copy_spreadsheet(*, department_return: DepartmentReturn) -> bytes:
    """The department's registration form laid out as on paper, numbers whole: the electronic
    copy the office receives."""
    return return_copy_xlsx(department_return=department_return)


def _unclaimed():
    stale = timezone.now() - timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS)
    return Q(copy_claimed_at__isnull=True) | Q(copy_claimed_at__lt=stale)


def return_copy_send(*, return_id: int, sent_at: datetime | None = None) -> bool:
    """Email the electronic copy of a handed-in return once; True if this call sent it.

    Claimed before sending, marked after with retries on a fresh connection; with ``sent_at``,
    only the mark (the task's retry after the database stayed away)."""
    if sent_at is not None:
        db_retrying(lambda: _copy_mark_sent(return_id, sent_at))
        return True
    owed = (
        DepartmentReturn.objects.filter(
            pk=return_id, state=DepartmentReturn.State.HANDED_IN, copy_sent_at__isnull=True
        )
        .exclude(campaign__office_email="")
        .filter(_unclaimed())
    )
    if not db_retrying(lambda: owed.update(copy_claimed_at=timezone.now())):
        return False
    department_return = db_retrying(
        lambda: DepartmentReturn.objects.select_related("campaign", "department").get(pk=return_id)
    )
    context = {
        "campaign": department_return.campaign,
        "department": department_return.department.name,
        "handed_in_at": department_return.handed_in_at,
        "school_name": settings.NEWMEDIA_SCHOOL_NAME,
    }
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string("emails/return_copy_subject.txt", context).split()),
        body=render_to_string("emails/return_copy_body.txt", context),
        to=[department_return.campaign.office_email],
    )
    html = render_to_string("emails/return_copy_body.html", context)
    message.attach_alternative(html, "text/html")
    message.attach(
        f"{department_return.department.code}-registration.xlsx",
        return_copy_spreadsheet(department_return=department_return),
        XLSX,
    )
    try:
        message.send()
    except Exception:
        db_retrying(
            lambda: DepartmentReturn.objects.filter(pk=return_id).update(copy_claimed_at=None)
        )
        raise
    sent_at = timezone.now()
    try:
        db_retrying(lambda: _copy_mark_sent(return_id, sent_at))
    except DATABASE_ERRORS as exc:
        raise EmailSentUnrecorded(sent_at=sent_at, error=str(exc)) from exc
    return True


def _copy_mark_sent(return_id: int, sent_at: datetime) -> None:
    DepartmentReturn.objects.filter(pk=return_id).update(copy_sent_at=sent_at, copy_claimed_at=None)


def return_copies_owed() -> list[int]:
    """Handed-in returns whose electronic copy has not gone yet, for the outbox flush."""
    return list(
        DepartmentReturn.objects.filter(
            _unclaimed(), state=DepartmentReturn.State.HANDED_IN, copy_sent_at__isnull=True
        )
        .exclude(campaign__office_email="")
        .values_list("pk", flat=True)
    )
