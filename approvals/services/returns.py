"""Department returns (登记表报送): handed in, the stamped form uploaded, accepted or sent back.

Each step is taken with ``steps.step_take``, as the filings' are (permission, guard, one
transaction, log and audit rows, notifications). Handing in stores the form exactly as sent (a
``ReturnSnapshot``: xlsx, PDF, its rows and their hash, from one read of the accounts) and
emails those files to the campaign's office mailbox, from a task queued on commit that claims
the return before sending and marks it after, as notifications are sent
(``notifications.notification_email_send``). The stamped scan is uploaded afterwards, for that
snapshot.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newmedia.dbretry import DATABASE_ERRORS, db_retrying
from newmedia.publishing import publish_on_commit
from registry.models import Department

from ..models import Campaign, DepartmentReturn, ReturnSnapshot, open_blocking_findings
from ..snapshots import form_rows, rows_hash
from .exports import FORM_BUILDERS, XLSX, form_accounts, form_file_names, form_parts
from .form_pdf import PDF
from .notifications import EmailSentUnrecorded, render_text

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
    department_return: DepartmentReturn, *, by, comment: str, reason: str = "", **ignored
) -> dict:
    """The hand-in's reason, required while blocking findings are open (unless the campaign
    refuses such a hand-in outright, which its guard says)."""
    blocking = open_blocking_findings(department_return.department_id)
    if blocking and not department_return.campaign.refuse_blocked_hand_in and not reason.strip():
        # Not tied to the field: the form may have been shown before the finding was opened.
        raise ValidationError(BLOCKING_REASON_REQUIRED % {"count": blocking}, code="guard")
    return {"reason": reason.strip() if blocking else "", "comment": comment}


def scan_arguments(
    department_return: DepartmentReturn,
    *,
    by,
    comment: str,
    snapshot: int | None = None,
    **arguments,
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
    # This copy is owed, whatever was sent (or claimed) for an earlier hand-in.
    DepartmentReturn.objects.filter(pk=department_return.pk).update(
        copy_sent_at=None, copy_claimed_at=None
    )
    department_return.copy_sent_at = None
    publish_on_commit([(send_return_copy, (department_return.pk,))])


def return_scan_recorded(department_return: DepartmentReturn, *, by) -> None:
    """After the scan's upload: the hand-in it stamps keeps it too (a new hand-in clears the
    return's)."""
    latest = department_return.latest_snapshot()
    ReturnSnapshot.objects.filter(pk=latest.pk).update(
        scan=department_return.scan.name, scan_uploaded_at=department_return.scan_uploaded_at
    )


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
            pk=return_id,
            state=DepartmentReturn.State.HANDED_IN,
            copy_sent_at__isnull=True,
            snapshots__isnull=False,
        )
        .exclude(campaign__office_email="")
        .filter(_unclaimed())
    )
    if not db_retrying(
        lambda: DepartmentReturn.objects.filter(pk__in=owed.values("pk")).update(
            copy_claimed_at=timezone.now()
        )
    ):
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
        subject=" ".join(render_text("emails/return_copy_subject.txt", context).split()),
        body=render_text("emails/return_copy_body.txt", context),
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
