"""The registration form as a PDF, laid out as the xlsx and the print view: A4 landscape, the
form's columns at their widths, text wrapped in its cell, the header on every page, the last rows
kept with the signature and seal block, 第 N 页，共 M 页 below. Drawn with reportlab and its
built-in Chinese font, as the campaign summary is."""

import datetime as dt
import io
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from registry.exports import FORM_COLUMNS, KEEP_WITH_SIGNATURE, SEAL_BOX, account_values
from registry.layouts import FILLED_IN_BY, FILLED_IN_ON, FILLED_IN_PHONE, HEAD_SIGNATURE
from registry.models import Account

from .pdf import escape, numbered_canvas, pdf_font

PDF = "application/pdf"
PDF_PAGE_FOOTER = _("Page %(page)s of %(pages)s")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape(str(value))


def form_pdf(
    *,
    accounts: Iterable[Account],
    title: str,
    department_line: str,
    campaign_line: str,
    filled_in_by: str = "",
    filled_in_phone: str = "",
    filled_in_on: dt.date | None = None,
    mask: bool = False,
) -> bytes:
    """The laid-out PDF of these accounts (fetched with their department, filing and survivors)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    heading = ParagraphStyle("heading", fontName=font, fontSize=14, leading=19, alignment=1)
    centred = ParagraphStyle("centred", fontName=font, fontSize=10, leading=14, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    # CJK word wrap breaks anywhere, so an ID with no spaces wraps instead of overflowing.
    cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9, wordWrap="CJK")
    head = ParagraphStyle("head", parent=cell, alignment=1)
    page = landscape(A4)
    margin = 8 * mm
    width = page[0] - 2 * margin
    total = sum(column.width for column in FORM_COLUMNS)
    widths = [width * column.width / total for column in FORM_COLUMNS]

    data = [[Paragraph(escape(str(column.label)), head) for column in FORM_COLUMNS]]
    for count, account in enumerate(accounts, 1):
        values = [count, *account_values(account, mask=mask)]
        data.append([Paragraph(_cell_text(value), cell) for value in values])
    on = (filled_in_on or dt.date.today()).isoformat()
    signature = Table(
        [
            [
                Paragraph(escape(f"{FILLED_IN_BY}：{filled_in_by}"), body),
                Paragraph(escape(f"{FILLED_IN_PHONE}：{filled_in_phone}"), body),
                Paragraph(escape(str(SEAL_BOX)), body),
            ],
            [
                Paragraph(escape(f"{HEAD_SIGNATURE}："), body),
                Paragraph(escape(f"{FILLED_IN_ON}：{on}"), body),
                "",
            ],
        ],
        colWidths=[width * 0.36, width * 0.32, width * 0.32],
        rowHeights=[12 * mm, 16 * mm],
        style=TableStyle(
            [
                ("BOX", (2, 0), (2, 1), 0.5, colors.black),
                ("SPAN", (2, 0), (2, 1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        ),
    )
    data.append([signature] + [""] * (len(FORM_COLUMNS) - 1))
    last = len(data) - 1
    style = [
        ("GRID", (0, 0), (-1, last - 1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E1F2")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("SPAN", (0, last), (-1, last)),
        ("TOPPADDING", (0, last), (-1, last), 8),
    ]
    frame_height = page[1] - margin - 12 * mm - 12  # the frame's own padding
    # Measured first: the last rows go with the signature block as far as they fit on one page
    # under the header (a row of 500 characters may fill most of it by itself).
    probe = Table(data, colWidths=widths, repeatRows=1, style=style)
    probe.wrap(width, frame_height)
    heights = probe._rowHeights
    keep_from, used = last, heights[0] + heights[last]
    while last - keep_from < KEEP_WITH_SIGNATURE and keep_from > 1:
        if used + heights[keep_from - 1] > frame_height:
            break
        keep_from -= 1
        used += heights[keep_from]
    # The last rows and the signature block are never split across pages.
    style.append(("NOSPLIT", (0, keep_from), (-1, last)))
    table = Table(data, colWidths=widths, repeatRows=1, style=style)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=12 * mm,
        title=f"{department_line} · {title}",
        author=settings.NEWMEDIA_SCHOOL_NAME,
    )
    story = [Paragraph(escape(title), heading)]
    if campaign_line:
        story.append(Paragraph(escape(campaign_line), centred))
    story += [Paragraph(escape(department_line), body), Spacer(1, 2 * mm), table]
    document.build(story, canvasmaker=numbered_canvas(str(PDF_PAGE_FOOTER)))
    return buffer.getvalue()
