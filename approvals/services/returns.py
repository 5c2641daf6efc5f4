"""Department returns (登记表报送): the stamped form uploaded, handed in, accepted or sent back.

Each step runs through the same transition machinery as the filings (permission, guard, one
transaction, log and audit rows, notifications). Handing in also emails the electronic copy to
the campaign's office mailbox, from a task queued on commit that marks the return when sent.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Department
from registry.uploads import generated_name, validate_upload

from ..models import Campaign, DepartmentReturn
from .exports import return_copy_xlsx
from .filings import step_apply, step_denied, step_permission_problem, step_problems
from .notifications import task_queue

SCAN_REQUIRED = _("Choose the scan of the stamped registration form (PDF, JPG or PNG).")
REASON_REQUIRED = _("Say what the department must change: a reason is required to send it back.")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def return_get(*, campaign: Campaign, department: Department) -> DepartmentReturn:
    """The department's return to the campaign, opened (not started) on first use."""
    department_return, _created = DepartmentReturn.objects.get_or_create(
        campaign=campaign, department=department
    )
    return department_return


def return_upload_scan(
    *, department_return: DepartmentReturn, by, scan: UploadedFile | None, comment: str = ""
) -> DepartmentReturn:
    """A filer uploads the scan of the stamped form (PDF, JPG or PNG, checked by content)."""
    if scan is None:
        raise ValidationError({"scan": SCAN_REQUIRED})
    try:
        extension = validate_upload(
            scan, kinds=("pdf", "png", "jpeg"), max_bytes=settings.NEWMEDIA_SCAN_MAX_BYTES
        )
    except ValidationError as exc:
        raise ValidationError({"scan": exc.messages}) from None
    # Checked before the file is stored, so a refused upload leaves nothing behind.
    if reason := step_permission_problem(department_return, "upload_scan", by):
        raise step_denied(reason, by=by, instance=department_return, name="upload_scan")
    if problems := step_problems(department_return, "upload_scan"):
        raise ValidationError(problems, code="guard")
    stored = default_storage.save(generated_name("returns", extension), scan)
    try:
        return step_apply(
            department_return, "upload_scan", by=by, comment=comment, scan_name=stored
        )
    except Exception:
        default_storage.delete(stored)
        raise


def return_hand_in(
    *, department_return: DepartmentReturn, by, comment: str = "", expected_state=None
) -> DepartmentReturn:
    """A filer hands in the return; the electronic copy goes to the office mailbox."""
    from ..tasks import send_return_copy

    with transaction.atomic():
        step_apply(
            department_return, "hand_in", by=by, comment=comment, expected_state=expected_state
        )
        # Reset for a return handed in again after being sent back: this copy is owed too.
        DepartmentReturn.objects.filter(pk=department_return.pk).update(copy_sent_at=None)
        pk = department_return.pk
        transaction.on_commit(lambda: task_queue(send_return_copy, pk))
    return department_return


def return_accept(
    *, department_return: DepartmentReturn, by, comment: str = "", expected_state=None
) -> DepartmentReturn:
    """A reviewer accepts the handed-in return."""
    return step_apply(
        department_return, "accept", by=by, comment=comment, expected_state=expected_state
    )


def return_send_back(
    *, department_return: DepartmentReturn, by, comment: str, expected_state=None
) -> DepartmentReturn:
    """A reviewer sends the return back to the department, saying why."""
    if not comment.strip():
        raise ValidationError({"comment": REASON_REQUIRED})
    return step_apply(
        department_return, "send_back", by=by, comment=comment, expected_state=expected_state
    )


RETURN_SERVICES = {
    "hand_in": return_hand_in,
    "accept": return_accept,
    "send_back": return_send_back,
}


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
