"""The command centre's writes and files: a reviewer's one-click reminder to a department, the
charts' numbers as CSV or xlsx, and the campaign's public summary as xlsx or PDF.

The one-click reminder is idempotent as a database fact: one ``ManualReminderLog`` per campaign,
department, day and recipient (a unique constraint), written with its notification under the
campaign's row lock, the same lock the daily sweep takes. A double click, two reviewers at once
or a retried request find the rows of the first and send nothing more that day.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from audit.models import AuditEvent
from audit.services import audit_record
from registry import roles
from registry.exports import tables_workbook
from registry.models import Department
from registry.sheets import csv_bytes
from robots.models import Robot

from ..centre import Chart, Summary
from ..models import (
    Campaign,
    ManualReminderLog,
    Notification,
)
from .notifications import notification_build, notifications_create, robots_tell, site_link
from .pdf import escape, pdf_font
from .reminders import department_statuses
from .steps import REVIEWER_ONLY

NO_CAMPAIGN = gettext_lazy("No campaign is active.")
NOTHING_OWED = gettext_lazy("%(department)s has nothing left to do: no reminder was sent.")
NO_FILERS = gettext_lazy("%(department)s has no active filer to remind.")


def department_remind(*, department: Department, by, today=None) -> list[Notification]:
    """A reviewer reminds one department's filers of the active campaign now; at most once a day
    per filer, however often it is asked. Returns the notifications sent (none: already done)."""
    if not roles.sees_all(by):
        raise PermissionDenied(REVIEWER_ONLY)
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            return _remind(department=department, by=by, today=today)
    except IntegrityError:
        # Another request wrote today's rows between our check and our insert: it sent them.
        return []


@dataclass
class RemindAll:
    """What 提醒所有逾期单位 did: the departments reminded now, those reminded already today
    (nothing sent again), and those with no active filer to remind."""

    reminded: list[Department]
    already: list[Department]
    no_filers: list[Department]


def departments_remind_all(*, by, today=None) -> RemindAll:
    """A reviewer reminds every department that still owes something, each as with its own
    button (``department_remind``: once a day per filer, in a transaction of its own)."""
    if not roles.sees_all(by):
        raise PermissionDenied(REVIEWER_ONLY)
    campaign = Campaign.objects.filter(is_active=True).first()
    if campaign is None:
        raise ValidationError(NO_CAMPAIGN, code="no_campaign")
    result = RemindAll(reminded=[], already=[], no_filers=[])
    for status in department_statuses(
        campaign=campaign, departments=Department.objects.for_user(by)
    ):
        try:
            sent = department_remind(department=status.department, by=by, today=today)
        except ValidationError as exc:
            if exc.code == "no_filers":
                result.no_filers.append(status.department)
            continue
        (result.reminded if sent else result.already).append(status.department)
    return result


def _remind(*, department: Department, by, today) -> list[Notification]:
    # The campaign's row is the lock the sweep takes too: a second click waits here, then
    # finds the first one's rows.
    campaign = Campaign.objects.select_for_update().filter(is_active=True).first()
    if campaign is None:
        raise ValidationError(NO_CAMPAIGN, code="no_campaign")
    [status] = department_statuses(
        campaign=campaign, departments=Department.objects.filter(pk=department.pk), late_only=False
    )
    if not status.missing:
        raise ValidationError(NOTHING_OWED % {"department": department.name}, code="nothing")
    filers = list(department.filers.filter(is_active=True).order_by("pk"))
    if not filers:
        raise ValidationError(NO_FILERS % {"department": department.name}, code="no_filers")
    already = set(
        ManualReminderLog.objects.filter(
            campaign=campaign, department=department, day=today
        ).values_list("recipient_id", flat=True)
    )
    owed = [user for user in filers if user.pk not in already]
    if not owed:
        return []
    context = {
        "campaign": campaign,
        "department": department.name,
        "days_left": (campaign.deadline - today).days,
        "missing": status.missing,
        "link": site_link(reverse("approvals:dashboard")),
    }
    created = notifications_create(
        [notification_build(template="reminder", context=context, recipient=u) for u in owed]
    )
    event = f"manual:{campaign.pk}:{department.pk}:{today}"
    robots_tell([(Robot.objects.for_department(department), created[0], event)])
    ManualReminderLog.objects.bulk_create(
        ManualReminderLog(
            campaign=campaign,
            department=department,
            day=today,
            recipient=user,
            sent_by=by,
            notification=notification,
        )
        for user, notification in zip(owed, created, strict=True)
    )
    audit_record(
        action=AuditEvent.Action.REMINDER_SENT,
        user=by,
        obj=department,
        detail=f"{campaign.title}: {', '.join(u.get_username() for u in owed)}",
    )
    return created


# Files.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart_file(*, chart: Chart, file_format: str) -> bytes:
    """A chart's numbers, exactly as its table shows them, as CSV or xlsx (formula-safe)."""
    rows = [chart.header, *chart.rows]
    if file_format == "csv":
        return csv_bytes(rows)
    return tables_workbook([(chart.title, rows)])


def summary_lines(summary: Summary) -> list[str]:
    """The lines above the summary's table: school, campaign, date, departments."""
    campaign = summary.campaign
    title = campaign.title
    if campaign.document_number:
        title = f"{title}（{campaign.document_number}）"
    return [
        _("%(school)s: new-media accounts after the campaign")
        % {"school": settings.NEWMEDIA_SCHOOL_NAME},
        title,
        _("Figures as of %(date)s.") % {"date": summary.as_of.isoformat()},
        _("%(handed_in)d of %(departments)d departments handed in their registration form.")
        % {"handed_in": summary.handed_in, "departments": summary.departments},
    ]


def summary_xlsx(summary: Summary) -> bytes:
    """The summary as a workbook: its lines, then the table."""
    lines = [[line] for line in summary_lines(summary)]
    return tables_workbook(
        [(pgettext("a campaign's", "Summary"), [*lines, [], summary.header, *summary.rows])]
    )


def summary_pdf(summary: Summary) -> bytes:
    """The summary as an A4 landscape PDF, in Chinese, with reportlab's CID font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    heading = ParagraphStyle("heading", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    buffer = io.BytesIO()
    title, *lines = summary_lines(summary)
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author=settings.NEWMEDIA_SCHOOL_NAME,
    )
    # Paragraphs take markup: the campaign's own words are escaped.
    story = [Paragraph(escape(title), heading), Spacer(1, 3 * mm)]
    story += [Paragraph(escape(line), body) for line in lines]
    story.append(Spacer(1, 5 * mm))
    data = [[Paragraph(escape(str(value)), cell) for value in summary.header]]
    data += [[escape(str(value)) for value in row] for row in summary.rows]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E1F2")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#F2F2F2")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    document.build(story)
    return buffer.getvalue()
