"""Pages for filers and reviewers: fetch through the visibility querysets, call one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cleanup import selectors as cleanup_selectors
from newmedia.paginators import CountedPaginator
from registry import personal_data, roles
from registry.forms import AccountForm
from registry.models import Account, Department, Staff

from . import selectors, services
from .filters import AccountFilter, ReturnFilter, ReviewFilter, department_label
from .forms import (
    BulkReviewForm,
    CampaignForm,
    ChangeRequestForm,
    ChangeReviewForm,
    ConfirmationsForm,
    NotificationsReadForm,
    step_form,
)
from .models import (
    CHANGEABLE_STATES,
    AnnualConfirmation,
    Campaign,
    ChangeRequest,
    DepartmentReturn,
    Filing,
)
from .models.steps import REVIEWER_ONLY
from .services import annual, changes, exports, notifications, returns
from .snapshots import rows_changes

SIGNER_ROLE_ONLY = gettext_lazy("Only the signing leaders have a sign-off queue.")


def _step_actions(request, instance, bound=None):
    """The steps offered on the record's page, each with its form (a posted one again)."""
    actions = selectors.step_actions(instance=instance, user=request.user)
    for action in actions:
        action.form = (bound or {}).get(action.name) or step_form(
            instance, action.name, user=request.user
        )
    return actions


def _take_step(request, instance, name, *, render_page, reload):
    """Take the posted step of the record's machine and go back to its page; or show the page
    again with the form's errors (409 when someone else acted first)."""
    if name not in type(instance).machine:
        raise Http404
    form = step_form(instance, name, user=request.user, data=request.POST, files=request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.step_take(instance, name, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            status = 409 if getattr(exc, "code", None) == "stale" else 400
            form.add_error(None, exc)
            instance = reload()  # show the record as it is now
        else:
            messages.success(
                request,
                _("Done: %(action)s.") % {"action": services.step_label(type(instance), name)},
            )
            return redirect(instance)
    for error in form.non_field_errors():
        messages.error(request, error)
    return render_page(instance, bound={name: form}, status=status)


@login_required
@require_GET
def dashboard(request):
    user = request.user
    campaign = selectors.active_campaign()
    is_filer = bool(roles.filer_department_ids(user))
    context = {
        "counts": selectors.state_counts(user=user),
        "campaign": campaign,
        "notifications": notifications.notifications_unread(user=user),
        "reviewer_todo": selectors.reviewer_todo(user=user) if roles.sees_all(user) else None,
        "signoff_todo": (
            selectors.signoff_todo(user=user) if user.has_perm(roles.SIGN_OFF_PERMISSION) else None
        ),
        "filer_todo": selectors.filer_todo(user=user) if is_filer else None,
        "filer_findings": cleanup_selectors.filer_findings(user=user) if is_filer else None,
        "reminders": selectors.reminders_received(user=user) if is_filer else None,
        "return_cards": (
            selectors.filer_return_cards(user=user, campaign=campaign)
            if campaign and is_filer and not campaign.is_annual_review
            else None
        ),
        # 年审: how many of the filer's accounts the review asks about, and wait for an answer.
        "annual": (
            _confirmation_totals(
                campaign, Department.objects.filter(pk__in=roles.filer_department_ids(user))
            )
            if campaign and is_filer and campaign.is_annual_review
            else None
        ),
    }
    return render(request, "approvals/dashboard.html", context)


@login_required
@require_POST
def notifications_read(request):
    form = NotificationsReadForm(request.POST, user=request.user)
    if form.is_valid():
        notifications.notifications_mark_read(
            user=request.user, ids=[n.pk for n in form.cleaned_data["notification"]]
        )
    return redirect("approvals:dashboard")


def _tallied_total(request, filterset, **fixed) -> int | None:
    """The total of a list of accounts from the tallies, when its filters allow (valid, and
    only those the tallies are keyed by)."""
    if not filterset.is_valid():
        return None
    return selectors.tallied_total(user=request.user, filters=filterset.form.cleaned_data, **fixed)


@login_required
@require_GET
def account_list(request):
    accounts = AccountFilter(
        request.GET, queryset=selectors.account_rows(user=request.user), request=request
    )
    page = CountedPaginator(
        accounts.qs, settings.NEWMEDIA_PAGE_SIZE, count=_tallied_total(request, accounts)
    ).get_page(request.GET.get("page"))
    return render(request, "approvals/account_list.html", {"filter": accounts, "page": page})


def _pending_change(request, account, bound=None):
    """The account's change request waiting for review, its facts shown and its steps offered."""
    change = selectors.pending_change(account=account, user=request.user)
    if change is not None:
        change.actions = _step_actions(request, change, bound)
    return change


def _pending_confirmation(request, account, bound=None):
    """The account's confirmation the active annual review waits for, its step offered."""
    confirmation = selectors.pending_confirmation(account=account)
    if confirmation is not None:
        confirmation.actions = _step_actions(request, confirmation, bound)
    return confirmation


def _render_detail(request, account, *, bound=None, status=200):
    # The page shows the owner's phone whole to the department's filers and reviewers: audited.
    personal_data.personal_data_viewed(user=request.user, objects=[account], detail=request.path)
    context = {
        "account": account,
        "filing": account.filing,
        "actions": _step_actions(request, account.filing, bound),
        "history": selectors.filing_history(filing=account.filing),
        "returned": selectors.return_note(filing=account.filing),
        "changes": selectors.account_changes(
            account=account, user=request.user, page=request.GET.get("changes")
        ),
        "since_submitted": selectors.changed_since_submitted(account=account, user=request.user),
        "change": _pending_change(request, account, bound),
        "confirmation": _pending_confirmation(request, account, bound),
        "may_request_change": (
            account.filing.state in CHANGEABLE_STATES
            and roles.is_filer_of(request.user, account.department_id)
            and request.user.has_perm("approvals.request_change")
        ),
        "chain": selectors.signoff_chain(filing=account.filing),
        "findings": cleanup_selectors.account_findings(account_id=account.pk),
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
    return render(
        request,
        "approvals/account_form.html",
        {"form": form, "help": EDIT_HELP[Filing.State.DRAFT]},
    )


# What saving does, said at the top of the edit form, for each state the form is open in.
EDIT_HELP = {
    Filing.State.DRAFT: gettext_lazy(
        "Save as often as you like: the account stays a draft until you submit it from its page."
    ),
    Filing.State.RETURNED: gettext_lazy(
        "The account stays returned while you change it: save, then submit it again from its "
        "page, and the reviewer sees it once more."
    ),
}


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
    # The clean-up checks' suggestion is offered for a "keep" proposal; it fills the form only
    # when the filer asks (采纳建议, ?adopt=1), and saving is still theirs.
    suggestion = (
        cleanup_selectors.suggested_disposition(account_id=account.pk)
        if request.method == "GET" and account.disposition == account.Disposition.KEEP
        else None
    )
    adopted = bool(suggestion) and request.GET.get("adopt") == "1"
    initial = (
        {
            "disposition": suggestion.kind,
            "merge_into": suggestion.merge_into_id,
            "disposition_reason": suggestion.reason[:200],
        }
        if adopted
        else None
    )
    form = AccountForm(request.POST or None, instance=account, user=request.user, initial=initial)
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
    return render(
        request,
        "approvals/account_form.html",
        {
            "form": form,
            "account": account,
            "suggestion": suggestion,
            "adopted": adopted,
            "returned": selectors.return_note(filing=account.filing),
            "help": EDIT_HELP[account.filing.state],
        },
    )


def _account_record_step(request, records, pk, name):
    """Take a step of a record about one account (a change request, a confirmation) and go
    back to the account's page, or show it again with the form's errors."""

    def visible():
        return get_object_or_404(
            records.for_user(request.user).select_related("account__department"), pk=pk
        )

    return _take_step(
        request,
        visible(),
        name,
        render_page=lambda record, **kw: _render_detail(
            request, selectors.visible_account(user=request.user, pk=record.account_id), **kw
        ),
        reload=visible,
    )


@login_required
@require_POST
def change_transition(request, pk, name):
    return _account_record_step(request, ChangeRequest.objects, pk, name)


def _confirmation_totals(campaign, departments) -> dict[str, int]:
    counts = selectors.confirmation_counts(campaign=campaign, departments=departments).values()
    return {
        "pending": sum(row["pending"] for row in counts),
        "total": sum(row["total"] for row in counts),
    }


@login_required
@require_POST
def confirmation_transition(request, pk, name):
    return _account_record_step(request, AnnualConfirmation.objects, pk, name)


@login_required
@require_http_methods(["GET", "POST"])
def annual_review(request):
    """年审: the accounts the active annual review asks about, unanswered first; a department's
    filers confirm several at once."""
    campaign = selectors.active_campaign()
    if campaign is None or not campaign.is_annual_review:
        messages.info(request, _("No annual review is running."))
        return redirect("approvals:dashboard")
    confirmations = selectors.annual_confirmations(user=request.user, campaign=campaign)
    if request.method == "POST":
        form = ConfirmationsForm(request.POST, queryset=confirmations)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            # One answered meanwhile (a change, a closure) is refused and named.
            done, refused = services.filings_bulk_review(
                filings=form.cleaned_data["confirmations"],
                action="confirm_in_use",
                by=request.user,
                expected_state=AnnualConfirmation.State.PENDING,
            )
            _bulk_messages(request, AnnualConfirmation, "confirm_in_use", done, refused)
        return redirect("approvals:annual_review")
    page = Paginator(confirmations, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "approvals/annual_review.html",
        {
            "campaign": campaign,
            "page": page,
            "totals": _confirmation_totals(campaign, Department.objects.for_user(request.user)),
            "may_confirm": bool(roles.filer_department_ids(request.user))
            and request.user.has_perm("approvals.confirm_account"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_request(request, pk):
    """变更备案: the account form on a registered account; what needs review waits for it."""
    account = selectors.visible_account(user=request.user, pk=pk)
    if not roles.is_filer_of(request.user, account.department_id):
        raise PermissionDenied(_("Only a filer of the account's department may ask to change it."))
    form = ChangeRequestForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            change = changes.change_request_create(
                account=form.instance,
                by=request.user,
                version=form.cleaned_data["version"] or 0,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                WAITING if change else _("Saved: these facts change without review."),
            )
            return redirect(account)
    personal_data.personal_data_viewed(user=request.user, objects=[account], detail=request.path)
    return render(
        request,
        "approvals/account_form.html",
        {"form": form, "account": account, "help": _change_help(), "changing": True},
    )


WAITING = gettext_lazy(
    "The change waits for a reviewer: the account keeps its registered facts until then."
)


WAITING = gettext_lazy(
    "The change waits for a reviewer: the account keeps its registered facts until then."
)


def _change_help() -> str:
    at_once = "、".join(
        str(Account._meta.get_field(name).verbose_name) for name in changes.immediate_fields()
    )
    return _(
        "Change what is no longer true. The account keeps its registered facts until a reviewer "
        "approves the change; these change at once: %(fields)s."
    ) % {"fields": at_once or "—"}


@login_required
@require_POST
def account_transition(request, pk, name):
    account = selectors.visible_account(user=request.user, pk=pk)
    return _take_step(
        request,
        account.filing,
        name,
        render_page=lambda filing, **kw: _render_detail(request, filing.account, **kw),
        reload=lambda: selectors.visible_account(user=request.user, pk=pk).filing,
    )


def _download(stored, name: str) -> FileResponse:
    """A stored upload as a download that the browser neither renders nor keeps: the name is
    ours (with the stored file's generated extension), never the uploader's."""
    extension = stored.name.rsplit(".", 1)[-1]
    response = FileResponse(stored.open("rb"), as_attachment=True, filename=f"{name}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def evidence_download(request, pk):
    evidence = selectors.visible_account(user=request.user, pk=pk).filing.closure_evidence
    if not evidence:
        raise Http404
    return _download(evidence, f"closure-evidence-{pk}")


# How many choices a picker (staff, departments) offers at once: typing more narrows them.
PICKER_CHOICES = 20


@login_required
@require_GET
def staff_search(request):
    """The account form's staff picker: staff in post of the department chosen (one the user may
    see) whose name or staff number matches what was typed, as JSON."""
    department = request.GET.get("department", "")
    staff = Staff.objects.for_user(request.user).picker_choices(request.GET.get("q", ""))
    if department:
        staff = staff.filter(department_id=department) if department.isdigit() else staff.none()
    results = [
        {
            "name": person.name,
            "post": person.post,
            "label": " · ".join(
                filter(
                    None, [_("Staff no. %(number)s") % {"number": person.staff_number}, person.post]
                )
            ),
        }
        for person in staff[:PICKER_CHOICES]
    ]
    return JsonResponse({"results": results})


@login_required
@require_GET
def department_search(request):
    """The lists' department picker: the departments the user may see whose code starts with, or
    whose name contains, what was typed, as JSON."""
    departments = Department.objects.for_user(request.user).picker_choices(request.GET.get("q", ""))
    results = [
        {"id": department.pk, "label": department_label(department)}
        for department in departments[:PICKER_CHOICES]
    ]
    return JsonResponse({"results": results})


@login_required
@require_http_methods(["GET", "POST"])
def review_queue(request):
    if not roles.sees_all(request.user):
        raise PermissionDenied(REVIEWER_ONLY)
    queue = ReviewFilter(
        request.GET, queryset=selectors.review_queue(user=request.user), request=request
    )
    form = BulkReviewForm(
        request.POST or None,
        queryset=Filing.objects.for_user(request.user).select_related("account__department"),
        user=request.user,
        # The action chosen last time stays chosen (the redirect below carries it).
        initial={"action": request.GET.get("action")},
    )
    if request.method == "POST" and form.is_valid():
        filings = form.cleaned_data["filings"]
        if form.cleaned_data["all_matching"]:
            # Every account the filters select, read again now, as this reviewer may see them.
            filings = (
                Filing.objects.filter(account__in=queue.qs.values("pk"))
                .select_related("account__department")
                .order_by("state_changed_at", "pk")
            )
        done, refused = services.filings_bulk_review(
            filings=filings,
            action=form.cleaned_data["action"],
            by=request.user,
            comment=form.cleaned_data["comment"],
            **form.step_arguments(),
        )
        _bulk_messages(request, Filing, form.cleaned_data["action"], done, refused)
        # Back to the same page and filters of the queue, with the same action chosen.
        query = request.GET.copy()
        query["action"] = form.cleaned_data["action"]
        return redirect(f"{reverse('approvals:review_queue')}?{query.urlencode()}")
    page = CountedPaginator(
        queue.qs,
        settings.NEWMEDIA_PAGE_SIZE,
        count=_tallied_total(request, queue, state=Filing.State.SUBMITTED),
    )
    return render(
        request,
        "approvals/review_queue.html",
        {
            "form": form,
            "filter": queue,
            "page": page.get_page(request.GET.get("page")),
            "changes": selectors.pending_changes(user=request.user),
            "change_form": ChangeReviewForm(queryset=ChangeRequest.objects.none(), prefix="change"),
        },
    )


@login_required
@require_POST
def changes_review(request):
    """Approve or return the change requests ticked under the review queue, each on its own."""
    if not roles.sees_all(request.user):
        raise PermissionDenied(REVIEWER_ONLY)
    form = ChangeReviewForm(
        request.POST,
        queryset=ChangeRequest.objects.for_user(request.user)
        .filter(state=ChangeRequest.State.PENDING)
        .select_related("account__department"),
        prefix="change",
    )
    if form.is_valid():
        done, refused = services.filings_bulk_review(
            filings=form.cleaned_data["changes"],
            action=form.cleaned_data["action"],
            by=request.user,
            comment=form.cleaned_data["comment"],
            expected_state=ChangeRequest.State.PENDING,
        )
        _bulk_messages(request, ChangeRequest, form.cleaned_data["action"], done, refused)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(f"{reverse('approvals:review_queue')}#changes-title")


def _bulk_messages(request, model, action: str, done, refused) -> None:
    """What a step on many records did: the accounts done, and each not done with why."""
    if done:
        messages.success(
            request,
            _("%(action)s: %(count)d accounts done: %(accounts)s.")
            % {
                "action": services.step_label(model, action),
                "count": len(done),
                "accounts": "、".join(str(record.account) for record in done),
            },
        )
    for record, reason in refused:
        messages.error(
            request,
            _("%(account)s was not changed: %(reason)s")
            % {"account": record.account, "reason": reason},
        )


@login_required
@require_POST
def drafts_submit(request):
    """A filer submits all the departments' drafts that are complete, in one click."""
    if not roles.filer_department_ids(request.user):
        raise PermissionDenied(_("Only a department's filers submit its accounts."))
    done, refused = services.filings_submit_drafts(by=request.user)
    if not done and not refused:
        messages.info(request, _("There are no drafts to submit."))
    _bulk_messages(request, Filing, "submit", done, refused)
    return redirect("approvals:dashboard")


@login_required
@require_GET
def signoff_queue(request):
    if not request.user.has_perm(roles.SIGN_OFF_PERMISSION):
        raise PermissionDenied(SIGNER_ROLE_ONLY)
    page = Paginator(selectors.signoff_queue(user=request.user), settings.NEWMEDIA_PAGE_SIZE)
    return render(
        request, "approvals/signoff_queue.html", {"page": page.get_page(request.GET.get("page"))}
    )


# Department returns (登记表报送).


def _render_return(request, department_return, *, bound=None, status=200):
    actions = _step_actions(request, department_return, bound)
    snapshot = department_return.latest_snapshot()
    context = {
        "department_return": department_return,
        "snapshot": snapshot,
        # What changed in the department's accounts since the form was handed in.
        "changes": (
            rows_changes(snapshot.rows, department_return.current_rows()) if snapshot else []
        ),
        "open_accounts": selectors.open_accounts_count(
            department_id=department_return.department_id
        ),
        "actions": actions,
        # A filer offered the hand-in reads the reasons on its button; everyone else reads them
        # in the summary.
        "blockers": (
            []
            if any(action.name == "hand_in" for action in actions)
            else selectors.hand_in_blockers(department_return=department_return)
        ),
        "history": selectors.state_history(instance=department_return),
    }
    return render(request, "approvals/departmentreturn_detail.html", context, status=status)


@login_required
@require_GET
def return_detail(request, pk):
    return _render_return(request, selectors.visible_return(user=request.user, pk=pk))


@login_required
@require_GET
def return_mine(request, department_pk):
    """The department's return to the active campaign; the dashboard, which opens it, if it has
    none yet."""
    department = get_object_or_404(Department.objects.for_user(request.user), pk=department_pk)
    campaign = selectors.active_campaign()
    if campaign is not None and campaign.is_annual_review:
        # An annual review asks for answers, not a form: its page is where the department acts.
        return redirect("approvals:annual_review")
    department_return = DepartmentReturn.objects.filter(
        campaign=campaign, department=department
    ).first()
    return redirect(department_return or "approvals:dashboard")


@login_required
@require_POST
def return_open(request, department_pk):
    """A filer opens the department's return to the active campaign (the row is written here,
    on a POST, so that showing the dashboard never writes)."""
    department = get_object_or_404(Department.objects.for_user(request.user), pk=department_pk)
    campaign = selectors.active_campaign()
    if campaign is None or campaign.is_annual_review:  # an annual review takes no form
        raise Http404
    # Whoever may hand in the department's return may open it: the step's own rule.
    unsaved = DepartmentReturn(campaign=campaign, department=department)
    if reason := DepartmentReturn.machine.permission_problem(unsaved, "hand_in", request.user):
        raise PermissionDenied(reason)
    return redirect(returns.return_get(campaign=campaign, department=department))


@login_required
@require_POST
def return_transition(request, pk, name):
    return _take_step(
        request,
        selectors.visible_return(user=request.user, pk=pk),
        name,
        render_page=lambda department_return, **kw: _render_return(
            request, department_return, **kw
        ),
        reload=lambda: selectors.visible_return(user=request.user, pk=pk),
    )


@login_required
@require_GET
def return_snapshot_file(request, pk, number, file_format):
    """The form exactly as handed in (xlsx or PDF), under its Chinese name."""
    department_return = selectors.visible_return(user=request.user, pk=pk)
    snapshot = get_object_or_404(department_return.snapshots, number=number)
    stored = {"xlsx": snapshot.xlsx, "pdf": snapshot.pdf}.get(file_format)
    if stored is None:
        raise Http404
    name = exports.form_file_names(
        department=department_return.department,
        file_format=file_format,
        on=timezone.localdate(snapshot.taken_at),
    )[0]
    response = FileResponse(stored.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def return_scan(request, pk):
    scan = selectors.visible_return(user=request.user, pk=pk).scan
    if not scan:
        raise Http404
    return _download(scan, f"registration-form-{pk}")


def campaign_rows(request, filter_class, departments):
    """The active campaign, and a page of its departments (``departments(user=, campaign=)``)
    filtered and sorted by ``filter_class`` from the query string: none without a campaign."""
    campaign = selectors.active_campaign()
    rows = filter_class(
        request.GET,
        queryset=(
            departments(user=request.user, campaign=campaign)
            if campaign
            else Department.objects.none()
        ),
    )
    page = Paginator(rows.qs, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return campaign, rows, page


@login_required
@require_GET
def return_list(request):
    if not roles.sees_all(request.user):
        raise PermissionDenied(REVIEWER_ONLY)
    campaign, rows, page = campaign_rows(request, ReturnFilter, selectors.campaign_departments)
    return render(
        request,
        "approvals/departmentreturn_list.html",
        {"campaign": campaign, "filter": rows, "page": page},
    )


# Campaigns (专项行动).


@login_required
@require_GET
def campaign_list(request):
    if not request.user.has_perm("approvals.view_campaign"):
        raise PermissionDenied(REVIEWER_ONLY)
    page = Paginator(Campaign.objects.all(), settings.NEWMEDIA_PAGE_SIZE)
    return render(
        request, "approvals/campaign_list.html", {"page": page.get_page(request.GET.get("page"))}
    )


def _campaign_form(request, campaign=None):
    form = CampaignForm(request.POST or None, instance=campaign)
    # The form runs the model's checks (dates, milestones, one active campaign) before saving.
    if request.method == "POST" and form.is_valid():
        campaign = form.save()
        if opened := annual.confirmations_open(campaign):
            messages.info(
                request,
                _("The annual review asks the departments about %(count)d accounts.")
                % {"count": opened},
            )
        messages.success(request, _("The campaign was saved."))
        return redirect("approvals:campaign_list")
    return render(request, "approvals/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    if not request.user.has_perm("approvals.add_campaign"):
        raise PermissionDenied(REVIEWER_ONLY)
    return _campaign_form(request)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    if not request.user.has_perm("approvals.change_campaign"):
        raise PermissionDenied(REVIEWER_ONLY)
    return _campaign_form(request, get_object_or_404(Campaign, pk=pk))
