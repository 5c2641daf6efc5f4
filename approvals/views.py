"""Pages for filers and reviewers: fetch through the visibility querysets, call one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import personal_data, roles
from registry.forms import AccountForm

from . import selectors, services
from .filters import AccountFilter
from .forms import FORMS, BulkReviewForm
from .models import Filing


@login_required
@require_GET
def dashboard(request):
    user = request.user
    context = {
        "counts": selectors.state_counts(user=user),
        "campaign": selectors.active_campaign(),
        "reviewer_todo": selectors.reviewer_todo(user=user) if roles.sees_all(user) else None,
        "filer_todo": selectors.filer_todo(user=user) if roles.filer_department_ids(user) else None,
    }
    return render(request, "approvals/dashboard.html", context)


@login_required
@require_GET
def account_list(request):
    accounts = AccountFilter(
        request.GET, queryset=selectors.account_rows(user=request.user), request=request
    )
    page = Paginator(accounts.qs, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/account_list.html", {"filter": accounts, "page": page})


def _render_detail(request, account, *, bound=None, status=200):
    # The page shows the owner's phone whole to the department's filers and reviewers: audited.
    personal_data.personal_data_viewed(user=request.user, objects=[account], detail=request.path)
    context = {
        "account": account,
        "filing": account.filing,
        "actions": selectors.filing_actions(filing=account.filing, user=request.user, bound=bound),
        "history": selectors.filing_history(filing=account.filing),
    }
    return render(request, "approvals/account_detail.html", context, status=status)


@login_required
@require_GET
def account_detail(request, pk):
    return _render_detail(request, selectors.visible_account(user=request.user, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    if not roles.filer_department_ids(request.user):
        raise PermissionDenied(_("Only a department's filers can add its accounts."))
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.filing_create(account=form.instance, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The account was saved as a draft."))
            return redirect(form.instance)
    return render(request, "approvals/account_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    account = selectors.visible_account(user=request.user, pk=pk)
    services.check_department_writer(
        user=request.user,
        department=account.department,
        permission="registry.change_account",
    )
    if not account.filing.is_editable:
        messages.error(
            request,
            services.NOT_EDITABLE % {"state": account.filing.get_state_display()},
        )
        return redirect(account)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_edit(
                account=form.instance,
                by=request.user,
                version=form.cleaned_data["version"] or 0,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(account)
    personal_data.personal_data_viewed(user=request.user, objects=[account], detail=request.path)
    return render(request, "approvals/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_transition(request, pk, name):
    if name not in services.TRANSITIONS:
        raise Http404
    account = selectors.visible_account(user=request.user, pk=pk)
    form = FORMS[name](
        request.POST,
        request.FILES,
        user=request.user,
        filing=account.filing,
        prefix=name,
    )
    status = 400
    if form.is_valid():
        try:
            services.SERVICES[name](filing=account.filing, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            status = 409 if getattr(exc, "code", None) == "stale" else 400
            form.add_error(None, exc)
            account = selectors.visible_account(
                user=request.user, pk=pk
            )  # show the record as it is now
        else:
            messages.success(
                request,
                _("Done: %(action)s.") % {"action": services.transition_label(name)},
            )
            return redirect(account)
    for error in form.non_field_errors():
        messages.error(request, error)
    return _render_detail(request, account, bound={name: form}, status=status)


@login_required
@require_GET
def evidence_download(request, pk):
    evidence = selectors.visible_account(user=request.user, pk=pk).filing.closure_evidence
    if not evidence:
        raise Http404
    response = FileResponse(
        evidence.open("rb"),
        as_attachment=True,
        filename=f"closure-evidence-{pk}{evidence.name[-4:]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def review_queue(request):
    if not roles.sees_all(request.user):
        raise PermissionDenied(services.REVIEWER_ONLY)
    form = BulkReviewForm(
        request.POST or None,
        queryset=Filing.objects.for_user(request.user).select_related("account__department"),
    )
    if request.method == "POST" and form.is_valid():
        done, refused = services.filings_bulk_review(
            filings=form.cleaned_data["filings"],
            action=form.cleaned_data["action"],
            by=request.user,
            comment=form.cleaned_data["comment"],
        )
        if done:
            messages.success(
                request,
                _("%(action)s: %(count)d accounts done.")
                % {
                    "action": services.transition_label(form.cleaned_data["action"]),
                    "count": len(done),
                },
            )
        for filing, reason in refused:
            messages.error(
                request,
                _("%(account)s was not changed: %(reason)s")
                % {"account": filing.account, "reason": reason},
            )
        return redirect("approvals:review_queue")
    page = Paginator(selectors.review_queue(user=request.user), settings.NEWMEDIA_PAGE_SIZE)
    return render(
        request,
        "approvals/review_queue.html",
        {"form": form, "page": page.get_page(request.GET.get("page"))},
    )
