"""Department returns (登记表报送): handed in, the stamped form uploaded, accepted or sent back.

Each step is taken with ``steps.step_take``, as the filings' are (permission, guard, one
transaction, log and audit rows, notifications). Handing in stores the form exactly as sent (a
``ReturnSnapshot``: xlsx, PDF, its rows and their hash, from one read of the accounts) and
emails those files to the campaign's office mailbox, from a task queued on commit that marks
the return when sent. The stamped scan is uploaded afterwards, for that snapshot.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Department

from ..models import Campaign, DepartmentReturn, ReturnSnapshot, open_blocking_findings
from ..snapshots import form_rows, rows_hash
from .exports import FORM_BUILDERS, XLSX, form_accounts, form_file_names, form_parts
from .form_pdf import PDF
from .notifications import task_queue

SCAN_OF_OLD_SNAPSHOT = _(
    "This upload is for hand-in no. %(number)s, but the form last handed in is no. %(latest)s: "
    "print the new form, stamp it and upload its scan."
)
BLOCKING_REASON_REQUIRED = _(
    "%(count)d open blocking findings: say why the department hands in with them, or resolve "
    "them first."
)
SNAPSHOT_LINE = _("Hand-in no. %(number)s · check code %(code)s")


def return_get(*, campaign: Campaign, department: Department) -> DepartmentReturn:
    """The department's return to the campaign, opened (not started) on first use."""
    department_return, _created = DepartmentReturn.objects.get_or_create(
        campaign=campaign, department=department
    )
    return department_return


def hand_in_arguments(
    department_return: DepartmentReturn, *, comment: str, reason: str = "", **ignored
) -> dict:
    """The hand-in's reason, required while blocking findings are open (unless the campaign
    refuses such a hand-in outright, which its guard says)."""
    blocking = open_blocking_findings(department_return.department_id)
    if blocking and not department_return.campaign.refuse_blocked_hand_in and not reason.strip():
        # Not tied to the field: the form may have been shown before the finding was opened.
        raise ValidationError(BLOCKING_REASON_REQUIRED % {"count": blocking}, code="guard")
    return {"reason": reason.strip() if blocking else "", "comment": comment}


def scan_arguments(
    department_return: DepartmentReturn, *, comment: str, snapshot: int | None = None, **arguments
) -> dict:
    """The scan, refused when it stamps an older hand-in than the last (``snapshot``: the
    number the page showed)."""
    latest = department_return.latest_snapshot()
    if snapshot is not None and latest is not None and snapshot != latest.number:
        raise ValidationError(
            SCAN_OF_OLD_SNAPSHOT % {"number": snapshot, "latest": latest.number}, code="guard"
        )
    return {**arguments, "comment": comment}


def _snapshot_take(
    *, department_return: DepartmentReturn, by, number: int, rows, accounts, blocking, reason
) -> ReturnSnapshot:
    """Store the form as handed in: its rows, hash, xlsx and PDF, drawn from the same read."""
    snapshot = ReturnSnapshot(
        department_return=department_return,
        number=number,
        taken_by=by,
        content_hash=rows_hash(rows),
        rows=rows,
        blocking_findings=blocking,
        blocking_reason=reason if blocking else "",
    )
    parts = form_parts(
        department=department_return.department,
        campaign=department_return.campaign,
        filled_in_by=(by.get_full_name() or by.get_username()) if by else "",
    )
    parts["accounts"] = accounts
    line = SNAPSHOT_LINE % {"number": number, "code": snapshot.check_code}
    parts["campaign_line"] = f"{parts['campaign_line']}　{line}".strip()
    ascii_name = form_file_names(department=department_return.department, file_format="xlsx")[1]
    stem = ascii_name.rsplit(".", 1)[0]
    for file_format, field in (("xlsx", snapshot.xlsx), ("pdf", snapshot.pdf)):
        content = FORM_BUILDERS[file_format](**parts, mask=False)
        # Stored before the row, as every upload is (the backup relies on that order).
        field.save(f"{stem}-{number}.{file_format}", ContentFile(content), save=False)
    snapshot.full_clean()
    snapshot.save()
    return snapshot


def return_handed_in(department_return: DepartmentReturn, *, by) -> None:
    """After the hand-in, in its transaction: the form as it is now stored and owed to the
    office, unless it is the form last handed in (then nothing new is sent, and the scan of
    that form stands)."""
    from ..tasks import send_return_copy

    # One hand-in at a time per return; the accounts are read once, and the rows, their hash
    # and both files are made from that one read.
    DepartmentReturn.objects.select_for_update().filter(pk=department_return.pk).first()
    department_return.forget()
    accounts = list(form_accounts(department=department_return.department))
    rows = form_rows(accounts)
    latest = department_return.latest_snapshot()
    if latest is not None and latest.content_hash == rows_hash(rows):
        DepartmentReturn.objects.filter(pk=department_return.pk).update(
            scan=latest.scan.name, scan_uploaded_at=latest.scan_uploaded_at
        )
        department_return.scan.name = latest.scan.name
        department_return.scan_uploaded_at = latest.scan_uploaded_at
        return
    _snapshot_take(
        department_return=department_return,
        by=by,
        number=(latest.number + 1) if latest else 1,
        rows=rows,
        accounts=accounts,
        blocking=open_blocking_findings(department_return.department_id),
        reason=getattr(department_return, "hand_in_reason", ""),
    )
    department_return.forget()
    # This copy is owed, whatever was sent for an earlier hand-in.
    DepartmentReturn.objects.filter(pk=department_return.pk).update(copy_sent_at=None)
    department_return.copy_sent_at = None
    pk = department_return.pk
    transaction.on_commit(lambda: task_queue(send_return_copy, pk))


def return_scan_recorded(department_return: DepartmentReturn, *, by) -> None:
    """After the scan's upload: the hand-in it stamps keeps it too (a new hand-in clears the
    return's)."""
    latest = department_return.latest_snapshot()
    ReturnSnapshot.objects.filter(pk=latest.pk).update(
        scan=department_return.scan.name, scan_uploaded_at=department_return.scan_uploaded_at
    )


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
            or department_return.latest_snapshot() is None
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
        # The files stored at the hand-in: the office gets exactly what the return page shows.
        snapshot = department_return.latest_snapshot()
        for field, content_type in ((snapshot.xlsx, XLSX), (snapshot.pdf, PDF)):
            name = form_file_names(
                department=department_return.department,
                file_format=field.name.rsplit(".", 1)[-1],
                on=timezone.localdate(snapshot.taken_at),
            )[0]
            with field.open("rb") as stored:
                message.attach(name, stored.read(), content_type)
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
