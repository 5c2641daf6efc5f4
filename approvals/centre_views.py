"""The reviewer's command centre (every department's progress, charts, one-click reminders) and
the campaign's summary a school can publish (a page, an xlsx and a PDF)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry import roles
from registry.models import Department
from robots.services import robots_failing

from . import centre, selectors
from .filters import CentreFilter
from .models import Campaign
from .services import REVIEWER_ONLY
from .services import centre as centre_services
from .views import campaign_rows

FILE_FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": centre_services.XLSX}


def _reviewers_only(user) -> None:
    if not roles.sees_all(user):
        raise PermissionDenied(REVIEWER_ONLY)


@login_required
@require_GET
def command_centre(request):
    _reviewers_only(request.user)
    campaign, rows, page = campaign_rows(request, CentreFilter, centre.centre_departments)
    charts = centre.centre_charts(user=request.user, campaign=campaign)
    totals = None
    if campaign:
        totals = centre.centre_totals(user=request.user, campaign=campaign, charts=charts)
    context = {
        "campaign": campaign,
        "filter": rows,
        "page": page,
        "rows": centre.attach_counts(list(page.object_list)),
        "sort": request.GET.get("sort", ""),
        "totals": totals,
        "charts": charts.values(),
        "chart_data": {key: chart.as_json() for key, chart in charts.items()},
        "failing_robots": robots_failing(),
    }
    return render(request, "approvals/command_centre.html", context)


@login_required
@require_POST
def department_remind(request):
    """The command centre's one form: the button clicked names the department."""
    _reviewers_only(request.user)
    try:
        pk = int(request.POST.get("department", ""))
    except ValueError:
        raise Http404 from None
    department = get_object_or_404(Department.objects.for_user(request.user), pk=pk)
    try:
        sent = centre_services.department_remind(department=department, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if sent:
            messages.success(
                request,
                _("A reminder was sent to %(count)d filers of %(department)s.")
                % {"count": len(sent), "department": department.name},
            )
        else:
            messages.info(
                request,
                _("%(department)s was already reminded today: nothing was sent again.")
                % {"department": department.name},
            )
    return redirect(_back_to_centre(request))


@login_required
@require_POST
def departments_remind_all(request):
    """提醒所有逾期单位: every department that still owes something, once a day each."""
    _reviewers_only(request.user)
    try:
        result = centre_services.departments_remind_all(by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_back_to_centre(request))
    messages.success(
        request,
        _(
            "Reminded %(reminded)d departments; %(already)d were reminded already today and were "
            "not sent it again; %(no_filers)d have no active filer to remind."
        )
        % {
            "reminded": len(result.reminded),
            "already": len(result.already),
            "no_filers": len(result.no_filers),
        },
    )
    return redirect(_back_to_centre(request))


def _back_to_centre(request) -> str:
    """The command centre as the reviewer left it (its filters and page), and nowhere else."""
    target = request.POST.get("next", "")
    centre_url = reverse("approvals:command_centre")
    if target.startswith(centre_url) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return centre_url


@login_required
@require_GET
def chart_export(request, key, file_format):
    _reviewers_only(request.user)
    if key not in centre.CHART_TITLES or file_format not in FILE_FORMATS:
        raise Http404
    [chart] = centre.centre_charts(
        user=request.user, campaign=selectors.active_campaign(), keys=[key]
    ).values()
    content = centre_services.chart_file(chart=chart, file_format=file_format)
    return _attachment(content, file_format, f"{key}-{timezone.localdate():%Y%m%d}")


def _summary_campaign(request, pk) -> Campaign:
    """The campaign whose summary is asked for: reviewers see every one, anyone else (without
    logging in) only a published one; 404 otherwise."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if not (campaign.summary_published or roles.sees_all(request.user)):
        raise Http404
    return campaign


@require_GET
def summary(request, pk):
    campaign = _summary_campaign(request, pk)
    data = centre.campaign_summary(campaign=campaign)
    context = {
        "summary": data,
        "lines": centre_services.summary_lines(data),
        "may_publish": request.user.has_perm("approvals.change_campaign"),
    }
    return render(request, "approvals/campaign_summary.html", context)


@require_GET
def summary_download(request, pk, file_format):
    build = {"pdf": centre_services.summary_pdf, "xlsx": centre_services.summary_xlsx}
    if file_format not in build:
        raise Http404
    campaign = _summary_campaign(request, pk)
    data = centre.campaign_summary(campaign=campaign)
    name = f"summary-{campaign.pk}-{data.as_of:%Y%m%d}"
    return _attachment(build[file_format](data), file_format, name)


def _attachment(content: bytes, file_format: str, name: str) -> HttpResponse:
    content_type = FILE_FORMATS.get(file_format, "application/pdf")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
