"""Pages of the clean-up checks: a group's member roster, and the list of findings."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from registry import roles

from . import selectors, services
from .forms import DecideForm, FindingFilter, RemovalsForm, RosterUploadForm, column_letter
from .models import MemberMatch
from .rosters import MappingNeeded

STAFF_ELSEWHERE = gettext_lazy("Staff (another department)")


def _render_roster(request, account, *, upload_form=None, columns=None, status=200):
    summary = selectors.roster_summary(account=account)
    mark = request.GET.get("mark", "")
    page = None
    if summary.roster is not None:
        members = selectors.roster_members(roster=summary.roster, mark=mark)
        page = Paginator(members, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        candidates = selectors.candidate_staff(members=page.object_list)
        # A filer learns that a member is staff of another department, never who (their name,
        # number and department are that department's); reviewers see everyone.
        reveal = roles.sees_all(request.user)
        for member in page.object_list:
            member.candidate_options = [
                (staff.pk, _shown(staff, account.department_id, reveal))
                for staff in (candidates[pk] for pk in member.candidates if pk in candidates)
            ]
            if member.staff is not None:
                member.staff_shown = _shown(member.staff, account.department_id, reveal)
    context = {
        "account": account,
        "summary": summary,
        "mark": mark,
        "marks": MemberMatch,
        "page": page,
        "upload_form": upload_form or RosterUploadForm(),
        "columns": [(column_letter(i), cell) for i, cell in enumerate(columns or [])],
        "may_write": services.may_write_roster(user=request.user, account=account),
    }
    return render(request, "cleanup/roster_detail.html", context, status=status)


def _shown(staff, department_id: int, reveal: bool) -> str:
    if reveal or staff.department_id == department_id:
        return f"{staff.name}，{staff.department.name}"
    return str(STAFF_ELSEWHERE)


def _roster_url(account, mark: str) -> str:
    return f"{reverse('cleanup:roster_detail', args=[account.pk])}?mark={mark}"


@login_required
@require_GET
def roster_detail(request, pk):
    return _render_roster(request, selectors.visible_group(user=request.user, pk=pk))


@login_required
@require_POST
def roster_upload(request, pk):
    account = selectors.visible_group(user=request.user, pk=pk)
    form = RosterUploadForm(request.POST, request.FILES)
    columns = None
    if form.is_valid():
        try:
            roster = services.roster_upload(
                account=account,
                by=request.user,
                upload=form.cleaned_data["file"],
                mapping=form.cleaned_data["mapping"],
                header_row=form.cleaned_data["header_index"],
            )
        except MappingNeeded as exc:
            columns = exc.columns
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The roster of %(count)d members replaced the previous one.")
                % {"count": roster.member_count},
            )
            return redirect("cleanup:roster_detail", pk=account.pk)
    return _render_roster(request, account, upload_form=form, columns=columns, status=400)


@login_required
@require_POST
def roster_removals(request, pk):
    account = selectors.visible_group(user=request.user, pk=pk)
    roster = selectors.roster_summary(account=account).roster
    if roster is None:
        return redirect("cleanup:roster_detail", pk=account.pk)
    form = RemovalsForm(request.POST, roster=roster)
    if form.is_valid():
        try:
            done = services.roster_removals_done(
                roster=roster,
                by=request.user,
                member_ids=[m.pk for m in form.cleaned_data["members"]],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(count)d removals marked done.") % {"count": done})
    else:
        for error in form.errors.get("members", []):
            messages.error(request, error)
    return redirect(_roster_url(account, "to_remove"))


@login_required
@require_POST
def roster_decide(request, pk, member_pk):
    account = selectors.visible_group(user=request.user, pk=pk)
    member = selectors.visible_member(user=request.user, account=account, pk=member_pk)
    form = DecideForm(
        request.POST,
        member=member,
        candidates=selectors.candidate_staff(members=[member]),
    )
    if form.is_valid():
        try:
            member = services.roster_member_decide(
                member=member, by=request.user, staff_id=form.cleaned_data["staff"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(member)s: %(match)s.")
                % {"member": member.display_name, "match": member.get_match_display()},
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_roster_url(account, MemberMatch.AMBIGUOUS))


@login_required
@require_GET
def finding_list(request):
    findings = FindingFilter(
        request.GET, queryset=selectors.finding_rows(user=request.user), request=request
    )
    page = Paginator(findings.qs, settings.NEWMEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cleanup/finding_list.html", {"filter": findings, "page": page})
