"""The registration form's pages: import a spreadsheet (dry run, then confirm or cancel), download
a department's laid-out xlsx, print it, and export the school-wide register."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import personal_data, roles
from registry import services as registry_services
from registry.exports import FORM_COLUMNS, KEEP_WITH_SIGNATURE, XLSX, account_values
from registry.models import Department

from .forms import RegisterExportForm, SheetUploadForm
from .import_forms import ImportOptionsForm
from .services import exports, imports

IMPORTED = _("Imported %(file)s: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.")
CANCELLED = _("The import was cancelled and the file deleted.")
NOTHING_TO_DO = _("You may neither import nor export the registration form.")


def _kinds(user) -> list[str]:
    return [kind for kind in imports.Kind.values if imports.may_import(user, kind)]


def _home(
    request,
    *,
    upload=None,
    report=None,
    pending=None,
    export_form=None,
    options_form=None,
    status=200,
):
    user = request.user
    kinds = _kinds(user)
    may_export = exports.may_export(user)
    if not kinds and not may_export:
        raise PermissionDenied(NOTHING_TO_DO)
    departments = Department.objects.for_user(user)
    if not roles.sees_all(user):
        departments = departments.filter(pk__in=roles.filer_department_ids(user))
    context = {
        "upload": upload or (SheetUploadForm(user=user, kinds=kinds) if kinds else None),
        "report": report,
        "pending": pending,
        "options_form": options_form
        or (
            ImportOptionsForm(unknown=report.unknown, options=pending.options)
            if pending is not None and report is not None and pending.kind == imports.Kind.ACCOUNTS
            else None
        ),
        "departments": departments if may_export else [],
        "export_form": export_form
        or (RegisterExportForm() if may_export and roles.sees_all(user) else None),
    }
    return render(request, "approvals/registration_form.html", context, status=status)


@login_required
@require_GET
def form_home(request):
    return _home(request)


@login_required
@require_POST
def import_upload(request):
    kinds = _kinds(request.user)
    form = SheetUploadForm(request.POST, request.FILES, user=request.user, kinds=kinds)
    if not form.is_valid():
        return _home(request, upload=form, status=400)
    upload, kind = form.cleaned_data["file"], form.cleaned_data["kind"]
    data = upload.read()
    department = form.cleaned_data["department"]
    report = imports.sheet_import(
        user=request.user,
        kind=kind,
        data=data,
        file_name=upload.name,
        department=department,
        dry_run=True,
    )
    if not report.ok and not report.unknown:
        return _home(request, upload=form, report=report, status=400)
    # Kept while unrecognised headings may still be assigned, even if the rows fail for now.
    pending = registry_services.pending_import_create(
        user=request.user, kind=kind, data=data, original_name=upload.name, department=department
    )
    return _home(request, report=report, pending=pending, status=200 if report.ok else 400)


def _run(request, pending, options, *, dry_run=True):
    return imports.sheet_import(
        user=request.user,
        kind=pending.kind,
        data=registry_services.pending_import_read(pending=pending),
        file_name=pending.original_name,
        department=pending.department,
        dry_run=dry_run,
        options=options,
    )


@login_required
@require_POST
def import_options(request, token):
    pending = registry_services.pending_import_get(user=request.user, token=token)
    report = _run(request, pending, pending.options)
    form = ImportOptionsForm(request.POST, unknown=report.unknown, options=pending.options)
    if form.is_valid():
        department = imports.default_department(request.user, pending.department)
        try:
            mapping = imports.import_mapping_save(
                department=department, unknown=report.unknown, choices=form.mapping()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            mappings = {**pending.options.get("mappings", {}), **mapping}
            options = {**form.defaults(), "mappings": mappings}
            registry_services.pending_import_set_options(pending=pending, options=options)
            report = _run(request, pending, options)
            form = ImportOptionsForm(unknown=report.unknown, options=options)
    status = 400 if form.errors or not report.ok else 200
    return _home(request, report=report, pending=pending, options_form=form, status=status)


@login_required
@require_POST
def import_confirm(request, token):
    pending = registry_services.pending_import_get(user=request.user, token=token)
    options = dict(pending.options)
    if request.POST.get("rules_acknowledged"):  # R6, for every account of the file
        options["rules_acknowledged"] = True
    try:
        report = _run(request, pending, options, dry_run=False)
    finally:  # done or refused, the upload is not kept
        registry_services.pending_import_discard(pending=pending)
    if not report.ok:
        return _home(request, report=report, status=400)
    messages.success(
        request,
        IMPORTED
        % {
            "file": report.file_name,
            "new": len(report.new),
            "changed": len(report.changed),
            "unchanged": report.unchanged,
        },
    )
    return redirect("approvals:form_home")


@login_required
@require_POST
def import_cancel(request, token):
    pending = registry_services.pending_import_get(user=request.user, token=token)
    registry_services.pending_import_discard(pending=pending)
    messages.info(request, CANCELLED)
    return redirect("approvals:form_home")


def _department(request, pk) -> Department:
    return get_object_or_404(Department.objects.for_user(request.user), pk=pk)


@login_required
@require_GET
def form_download(request, department_pk, file_format="xlsx"):
    department = _department(request, department_pk)
    content = exports.form_export(user=request.user, department=department, file_format=file_format)
    names = exports.form_file_names(department=department, file_format=file_format)
    return _attachment(content, exports.CONTENT_TYPES[file_format], *names)


@login_required
@require_GET
def form_print(request, department_pk):
    department = _department(request, department_pk)
    if not exports.may_export(request.user):
        raise PermissionDenied(exports.EXPORT_NOT_PERMITTED)
    mask = not personal_data.may_see_phones(request.user, department.pk)
    parts = exports.form_parts(
        department=department,
        campaign=exports.active_campaign(),
        filled_in_by=request.user.get_full_name() or request.user.get_username(),
    )
    accounts = list(parts.pop("accounts"))
    personal_data.personal_data_viewed(user=request.user, objects=accounts, detail=request.path)
    total = sum(column.width for column in FORM_COLUMNS)
    keep = KEEP_WITH_SIGNATURE
    context = {
        **parts,
        "headers": [str(column.label) for column in FORM_COLUMNS],
        "widths": [f"{100 * column.width / total:.2f}" for column in FORM_COLUMNS],
        "rows": [[n, *account_values(account, mask=mask)] for n, account in enumerate(accounts, 1)],
        # The last rows go in one group with the signature block, which never splits.
        "body_slice": f":-{keep}",
        "last_slice": f"-{keep}:",
        "today": parts["filled_in_on"],
        "pdf_url": reverse("approvals:form_pdf", args=[department.pk]),
        "return_url": reverse("approvals:return_mine", args=[department.pk]),
    }
    return render(request, "approvals/registration_print.html", context)


@login_required
@require_http_methods(["GET"])
def register_export(request):
    if not (roles.sees_all(request.user) and exports.may_export(request.user)):
        raise PermissionDenied(exports.EXPORT_NOT_PERMITTED)
    form = RegisterExportForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        try:
            content = exports.register_export(
                user=request.user,
                file_format=data["file_format"],
                state=data["state"],
                department=data["department"],
                unmask=data["unmask_phones"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            csv = data["file_format"] == "csv"
            return _attachment(
                content,
                "text/csv; charset=utf-8" if csv else XLSX,
                f"register-{timezone.localdate():%Y%m%d}.{'csv' if csv else 'xlsx'}",
            )
    return _home(request, export_form=form, status=400)


def _attachment(content: bytes, content_type: str, name: str, ascii_name: str = "") -> HttpResponse:
    """A download under its name; a Chinese name also under an ASCII one, for the clients that
    read only ``filename`` (RFC 6266, with RFC 5987's ``filename*`` from Django)."""
    response = HttpResponse(content, content_type=content_type)
    disposition = content_disposition_header(True, name)
    if ascii_name and "filename*=" in disposition:
        disposition = disposition.replace("attachment;", f'attachment; filename="{ascii_name}";', 1)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
