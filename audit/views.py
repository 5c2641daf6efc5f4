from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from .filters import AuditEventFilter
from .forms import UnlockForm
from .lockouts import lockout_reset, lockouts_current
from .models import AuditEvent

UNLOCKED = _("%(username)s can log in again from %(ip_address)s.")
NOT_LOCKED = _("%(username)s was no longer locked at %(ip_address)s.")


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
@require_GET
def event_list(request):
    events = AuditEventFilter(request.GET, queryset=AuditEvent.objects.all())
    page = Paginator(events.qs, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": events,
        "page": page,
        "retention_days": settings.NEWMEDIA_AUDIT_RETENTION_DAYS,
    }
    return render(request, "audit/auditevent_list.html", context)


@login_required
@permission_required("axes.view_accessattempt", raise_exception=True)
@require_GET
def lockout_list(request):
    context = {"lockouts": lockouts_current(), "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "audit/lockout_list.html", context)


@login_required
@permission_required("axes.delete_accessattempt", raise_exception=True)
@require_POST
def lockout_unlock(request):
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()  # only a tampered form: the page posts listed values
    if lockout_reset(**form.cleaned_data, by=request.user):
        messages.success(request, UNLOCKED % form.cleaned_data)
    else:
        messages.info(request, NOT_LOCKED % form.cleaned_data)
    return redirect("audit:lockout_list")
