"""Department returns (登记表报送): the stamped form uploaded, handed in, accepted or sent back.

Each step is taken with ``steps.step_take``, as the filings' are (permission, guard, one
transaction, log and audit rows, notifications). Handing in also emails the electronic copy to
the campaign's office mailbox, from a task queued on commit that marks the return when sent.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from newmedia.publishing import publish_on_commit
from registry.models import Department

from ..models import Campaign, DepartmentReturn
from .exports import return_copy_xlsx

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
    DepartmentReturn.objects.filter(pk=department_return.pk).update(copy_sent_at=None)
    pk = department_return.pk
    publish_on_commit([(send_return_copy, (pk,))])


def return_copy_spreadsheet(*, department_return: DepartmentReturn) -> bytes:
    """The department's registration form laid out as on paper, numbers whole: the electronic
    copy the office receives."""
    return return_copy_xlsx(department_return=department_return)


def return_copy_send(*, return_id: int) -> bool:
    """Email the electronic copy of a handed-in return once; True if this call sent it."""
    with transaction.atomic():
        department_return = (
            DepartmentReturn.objects.select_for_update()
            .select_related("campaign", "department")
            .filter(pk=return_id)
            .first()
        )
        if (
            department_return is None
            or department_return.copy_sent_at
            or department_return.state != DepartmentReturn.State.HANDED_IN
            or not department_return.campaign.office_email
        ):
            return False
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
        message.attach_alternative(
            render_to_string("emails/return_copy_body.html", context), "text/html"
        )
        message.attach(
            f"{department_return.department.code}-registration.xlsx",
            return_copy_spreadsheet(department_return=department_return),
            XLSX,
        )
        message.send()
        DepartmentReturn.objects.filter(pk=return_id).update(copy_sent_at=timezone.now())
    return True


def return_copies_owed() -> list[int]:
    """Handed-in returns whose electronic copy has not gone yet, for the outbox flush."""
    return list(
        DepartmentReturn.objects.filter(
            state=DepartmentReturn.State.HANDED_IN, copy_sent_at__isnull=True
        )
        .exclude(campaign__office_email="")
        .values_list("pk", flat=True)
    )
