"""Helpers for tests that export and import spreadsheets through the admin, as a browser would."""

import csv
import io
import re

import openpyxl
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.forms import SelectableFieldsExportForm

# An 11-digit mobile number, whole: what must never reach someone who may not see it.
MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def _admin_url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def _format_index(formats, title: str) -> str:
    return str(next(i for i, f in enumerate(formats) if f().get_title() == title))


def export(client, model, file_format: str = "csv", **extra):
    """Post the admin's export form for every column of the model's resource."""
    model_admin = site._registry[model]
    resource = model_admin.get_export_resource_classes(None)[0]
    columns = {
        SelectableFieldsExportForm.create_boolean_field_name(resource, name): "on"
        for name in resource().get_export_order()
    }
    data = {
        "resource": "0",
        "format": _format_index(model_admin.get_export_formats(), file_format),
        **columns,
        **extra,
    }
    return client.post(_admin_url(model, "export"), data)


def exported_rows(response) -> list[list[str]]:
    """The rows of an exported CSV or XLSX file, header first, every cell as text."""
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def unmasked_mobiles(response) -> set[str]:
    """The whole mobile numbers in a page or an exported file."""
    if response.get("Content-Disposition", "").startswith("attachment"):
        text = "\n".join(",".join(row) for row in exported_rows(response))
    else:
        text = response.content.decode()
    return set(MOBILE.findall(text))


def import_file(client, model, content: str, *, name: str = "roster.csv", confirm: bool = True):
    """Upload a CSV through the admin's import page, then confirm it unless told not to."""
    model_admin = site._registry[model]
    response = client.post(
        _admin_url(model, "import"),
        {
            "resource": "0",
            "format": _format_index(model_admin.get_import_formats(), "csv"),
            "import_file": SimpleUploadedFile(name, content.encode(), content_type="text/csv"),
        },
    )
    if not confirm:
        return response
    confirm_form = response.context["confirm_form"]
    return client.post(_admin_url(model, "process_import"), confirm_form.initial)
