"""The registration form's pages: upload, dry run, confirm or cancel (the upload deleted each
time), download, print and the school-wide register, with their permissions."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.utils import get_column_letter

from approvals.models import Filing
from approvals.tests.factories import CampaignFactory, filing_in
from approvals.tests.sheets import csv_file, form_row, table, xlsx
from audit.models import AuditEvent
from registry import layouts, resources, services
from registry.exports import FORM_COLUMNS
from registry.models import Account, PendingImport
from registry.tests.exports import MOBILE
from registry.tests.factories import UserFactory


def _upload(client, data, name="登记表.xlsx", **extra):
    return client.post(
        reverse("approvals:import_upload"),
        {"kind": "accounts", "file": SimpleUploadedFile(name, data), **extra},
    )


def test_it_previews_then_imports_on_confirmation_and_deletes_the_upload(
    client_for, filer, department
):
    client = client_for(filer)
    response = _upload(client, xlsx(table([form_row(department, 1), form_row(department, 2)])))
    assert response.status_code == 200
    assert response.context["report"].ok and len(response.context["report"].new) == 2
    assert not Account.objects.exists()
    pending = PendingImport.objects.get()
    assert default_storage.exists(pending.file.name)
    response = client.post(reverse("approvals:import_confirm", args=[pending.token]), {})
    assert response.status_code == 302
    assert Account.objects.filter(filing__state=Filing.State.DRAFT).count() == 2
    assert not PendingImport.objects.exists()
    assert not default_storage.exists(pending.file.name)


def test_it_deletes_the_upload_when_cancelled(client_for, filer, department):
    client = client_for(filer)
    _upload(client, xlsx(table([form_row(department)])))
    pending = PendingImport.objects.get()
    client.post(reverse("approvals:import_cancel", args=[pending.token]), {})
    assert not PendingImport.objects.exists() and not default_storage.exists(pending.file.name)
    assert not Account.objects.exists()


def test_it_deletes_an_upload_abandoned_for_an_hour(client_for, filer, department, time_machine):
    _upload(client_for(filer), xlsx(table([form_row(department)])))
    pending = PendingImport.objects.get()
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61))
    assert services.pending_imports_purge() == 1
    assert not default_storage.exists(pending.file.name)
    response = client_for(filer).post(reverse("approvals:import_confirm", args=[pending.token]), {})
    assert response.status_code == 404


def test_it_shows_every_problem_and_keeps_nothing(client_for, filer, department):
    bad = csv_file(
        table([form_row(department, 1, 平台="飞书"), form_row(department, 2, 负责人="")]), "gbk"
    )
    response = _upload(client_for(filer), bad, name="登记表.csv")
    assert response.status_code == 400
    problems = [(p.row, p.column) for p in response.context["report"].problems]
    assert problems == [(2, layouts.FORM.label("platform")), (3, layouts.FORM.label("owner_name"))]
    assert str(resources.OWNER_MISSING) in response.content.decode()
    assert not PendingImport.objects.exists() and not Account.objects.exists()


def test_it_refuses_an_oversized_file_before_reading_it(client_for, filer, settings):
    settings.NEWMEDIA_IMPORT_MAX_BYTES = 1000
    response = _upload(client_for(filer), b"x" * 2000)
    assert response.status_code == 400
    assert response.context["upload"].errors["file"]


def test_it_lets_only_the_uploader_confirm(client_for, filer, outsider, department):
    _upload(client_for(filer), xlsx(table([form_row(department)])))
    pending = PendingImport.objects.get()
    client = client_for(outsider)
    assert (
        client.post(reverse("approvals:import_confirm", args=[pending.token]), {}).status_code
        == 404
    )
    assert not Account.objects.exists()


def test_it_refuses_a_user_without_the_permissions(client_for, db):
    client = client_for(UserFactory())
    assert client.get(reverse("approvals:form_home")).status_code == 403
    assert _upload(client, b"x").status_code == 403


def test_it_refuses_a_confirmation_by_get(client_for, filer, department):
    _upload(client_for(filer), xlsx(table([form_row(department)])))
    token = PendingImport.objects.get().token
    assert (
        client_for(filer).get(reverse("approvals:import_confirm", args=[token])).status_code == 405
    )


# Exports.


@pytest.fixture
def accounts(department):
    CampaignFactory(title="2026年新媒体清理整治专项行动", document_number="赣府厅明〔2020〕46号")
    filing_in(
        Filing.State.REGISTERED,
        department=department,
        name='=HYPERLINK("http://x")',
        member_count=35,
    )
    filing_in(Filing.State.DRAFT, department=department, name="会计学院工作群", member_count=None)


def test_it_downloads_the_laid_out_form(
    client_for, filer, department, accounts, django_assert_num_queries
):
    client = client_for(filer)
    response = client.get(reverse("approvals:form_download", args=[department.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [c.value for c in sheet[4]]
    assert header == [str(column.label) for column in FORM_COLUMNS]
    last = get_column_letter(len(FORM_COLUMNS))
    assert f"A1:{last}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert "2026年新媒体清理整治专项行动（赣府厅明〔2020〕46号）" in sheet["A2"].value
    assert department.name in sheet["A3"].value
    assert (sheet.page_setup.orientation, int(sheet.page_setup.paperSize)) == ("landscape", 9)  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.freeze_panes == "C5"
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.print_area.endswith(f"$A$1:${last}$13")
    assert [sheet.cell(row, 1).value for row in (5, 6)] == [1, 2]  # row numbers
    names = {sheet.cell(row, 3).value: sheet.cell(row, 3) for row in (5, 6)}
    formula = names['=HYPERLINK("http://x")']
    assert formula.data_type == "s"  # text, never a formula
    at = [column.field for column in FORM_COLUMNS].index("member_count") + 1
    counts = {sheet.cell(row, 3).value: sheet.cell(row, at) for row in (5, 6)}
    assert counts['=HYPERLINK("http://x")'].data_type == "n"  # numbers stay numbers
    assert counts["会计学院工作群"].value is None  # empty stays empty
    assert str(layouts.FILLED_IN_BY) in sheet["A8"].value
    seal_from = get_column_letter(2 * (len(FORM_COLUMNS) // 3) + 1)
    assert f"{seal_from}10:{last}13" in {str(r) for r in sheet.merged_cells.ranges}  # the seal
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED).count() == 1


def test_it_exports_in_a_constant_number_of_queries(
    client_for, filer, department, accounts, django_assert_num_queries
):
    from approvals.services import exports

    for _ in range(20):
        filing_in(Filing.State.DRAFT, department=department)
    with django_assert_num_queries(3):  # campaign, accounts, the audit count
        exports.form_xlsx(department=department, mask=False, campaign=exports.active_campaign())
        exports.form_accounts(department=department).count()


def test_it_does_not_show_another_departments_form(client_for, outsider, department, accounts):
    client = client_for(outsider)
    assert client.get(reverse("approvals:form_download", args=[department.pk])).status_code == 404
    assert client.get(reverse("approvals:form_print", args=[department.pk])).status_code == 404


def test_it_prints_the_same_columns(client_for, filer, department, accounts):
    response = client_for(filer).get(reverse("approvals:form_print", args=[department.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for column in FORM_COLUMNS:
        assert f'<th scope="col">{column.label}</th>' in html
    assert "&quot;http://x&quot;" in html  # shown as text
    assert "print-form.css" in html


def test_it_exports_the_register_masked_and_filtered(client_for, reviewer, department, accounts):
    url = reverse("approvals:register_export")
    response = client_for(reviewer).get(url, {"file_format": "csv", "state": Filing.State.DRAFT})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "会计学院工作群" in text and "HYPERLINK" not in text
    assert not MOBILE.findall(text) and "138****8000" in text


def test_it_refuses_the_register_to_a_filer(client_for, filer):
    assert client_for(filer).get(reverse("approvals:register_export")).status_code == 403


def test_it_refuses_an_unmasked_register_without_the_permission(client_for, reviewer, accounts):
    url = reverse("approvals:register_export")
    response = client_for(reviewer).get(
        url, {"file_format": "csv", "unmask_phones": "on", "reason": "报送"}
    )
    assert response.status_code == 400
    assert "Content-Disposition" not in response
