"""The dry-run page of an office's own file: the naming level and category set for the whole
file, unrecognised headings assigned (and remembered for the department), two headings sent to
one field refused, the R6 acknowledgement recorded on confirmation; only the uploader's."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.services import imports
from registry.models import Account, ColumnMapping, PendingImport


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "QQ群"
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROWS = [
    ["QQ群名称", "QQ群号", "群主", "群负责老师", "备用"],
    ["测试学院群", "612345001", "张伟", "李娜", ""],
]


def _upload(client, data):
    return client.post(
        reverse("approvals:import_upload"),
        {"kind": "accounts", "file": SimpleUploadedFile("QQ群.xlsx", data)},
    )


def _options(client, token, **data):
    return client.post(reverse("approvals:import_options", args=[token]), data)


def test_it_shows_the_inferences_and_the_unknown_headings(client_for, filer, department):
    response = _upload(client_for(filer), _xlsx(ROWS))
    assert response.status_code == 200
    page = response.content.decode()
    assert "群负责老师" in page and 'id="import-inferred"' in page and "QQ群" in page
    assert not Account.objects.exists()


def test_it_sets_defaults_maps_a_heading_and_remembers_it(client_for, filer, department):
    client = client_for(filer)
    _upload(client, _xlsx(ROWS))
    pending = PendingImport.objects.get()
    response = _options(
        client,
        pending.token,
        naming_level="work",
        category="chat_group",
        column_0="administrator_name",
        column_1="",
    )
    assert response.status_code == 200
    assert response.context["report"].ok
    assert set(ColumnMapping.objects.values_list("field", flat=True)) == {"administrator_name", ""}
    client.post(
        reverse("approvals:import_confirm", args=[pending.token]), {"rules_acknowledged": "1"}
    )
    account = Account.objects.get()
    assert (account.naming_level, account.category) == ("work", "chat_group")
    assert account.administrator_name == "李娜"
    assert account.rules_acknowledged and account.rules_acknowledged_by == filer
    # Next time the department's file is read with the mapping it gave.
    report = imports.sheet_import(
        user=filer, kind="accounts", data=_xlsx(ROWS), file_name="x", dry_run=True
    )
    assert report.unknown == []


def test_it_refuses_two_headings_sent_to_one_field(client_for, filer, department):
    client = client_for(filer)
    _upload(client, _xlsx(ROWS))
    pending = PendingImport.objects.get()
    response = _options(client, pending.token, column_0="remarks", column_1="remarks")
    assert response.status_code == 400
    message = imports.MAPPED_TWICE % {"first": "群负责老师", "second": "备用", "field": "备注"}
    assert str(message) in response.context["options_form"].non_field_errors()
    assert not ColumnMapping.objects.exists() and not Account.objects.exists()


def test_it_imports_without_the_acknowledgement_unless_ticked(client_for, filer, department):
    client = client_for(filer)
    _upload(client, _xlsx(ROWS))
    pending = PendingImport.objects.get()
    client.post(reverse("approvals:import_confirm", args=[pending.token]), {})
    account = Account.objects.get()
    assert not account.rules_acknowledged and account.rules_acknowledged_by is None


def test_it_lets_only_the_uploader_set_options(client_for, filer, outsider, department):
    _upload(client_for(filer), _xlsx(ROWS))
    pending = PendingImport.objects.get()
    assert _options(client_for(outsider), pending.token, column_0="remarks").status_code == 404
    assert not ColumnMapping.objects.exists()


def test_it_refuses_options_by_get(client_for, filer, department):
    _upload(client_for(filer), _xlsx(ROWS))
    token = PendingImport.objects.get().token
    url = reverse("approvals:import_options", args=[token])
    assert client_for(filer).get(url).status_code == 405
