"""The registration form out: one department's laid-out xlsx (download, print page, the e-copy of
a hand-in) and the school-wide register for reviewers (xlsx or CSV, filtered by state).

Phone numbers follow ``registry.personal_data``: a department's form carries them whole for the
users who see them whole on its pages (its filers, reviewers), as the paper form must; the
school-wide register is masked unless the user holds ``registry.export_personal_data`` and gives
a reason. Every export that carries whole numbers leaves an audit row.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import personal_data
from registry.exports import (
    CAMPAIGN_LINE,
    DEPARTMENT_LINE,
    REGISTER_TITLE,
    XLSX,
    form_workbook,
    register_csv,
    school_title,
)
from registry.layouts import STATE
from registry.models import Account, Department

from ..models import Campaign, ChangeRequest, Filing
from .form_pdf import PDF, form_pdf

EXPORT_PERMISSION = "registry.export_account"
EXPORT_NOT_PERMITTED = _("You may not export the registration form.")
FORM_REASON = _("the registration form of %(department)s")
WHOLE_SCHOOL = _("Whole school")
SCOPE_LINE = _("Scope: %(scope)s")


def active_campaign() -> Campaign | None:
    return Campaign.objects.filter(is_active=True).first()


def may_export(user) -> bool:
    """Whether the user holds the export permission."""
    return user.is_authenticated and user.has_perm(EXPORT_PERMISSION)


# What a row of the form shows beside the account: its department, the decided closure and the
# survivor of a merge, proposed or ordered.
FORM_RELATED = ("department", "merge_into", "filing", "filing__closure_merge_into")


def form_accounts(*, department: Department) -> QuerySet:
    """The department's accounts in the form's order, with what each row shows, in one query."""
    return Account.objects.filter(department=department).select_related(*FORM_RELATED)


def _pending_change():
    return ChangeRequest.objects.filter(account=OuterRef("pk"), state=ChangeRequest.State.PENDING)


def _with_pending_note(accounts: QuerySet) -> QuerySet:
    """The form shows an account's registered facts while a change to them waits for review,
    with 变更待审 before its remarks."""
    return accounts.annotate(
        form_note=Case(
            When(Exists(_pending_change()), then=Value(str(ChangeRequest.State.PENDING.label))),
            default=Value(""),
        )
    )


def campaign_line(campaign: Campaign | None) -> str:
    if campaign is None:
        return ""
    title = campaign.title
    if campaign.document_number:
        title = f"{title}（{campaign.document_number}）"
    return CAMPAIGN_LINE % {"campaign": title}


def form_parts(
    *,
    department: Department,
    campaign: Campaign | None = None,
    filled_in_by: str = "",
    filled_in_on: dt.date | None = None,
) -> dict:
    """What the department's form holds, whatever it is drawn as (xlsx, PDF, the print page)."""
    return {
        "accounts": _with_pending_note(form_accounts(department=department)),
        "title": school_title(),
        "department_line": DEPARTMENT_LINE % {"department": department.name},
        "campaign_line": campaign_line(campaign),
        "filled_in_by": filled_in_by,
        "filled_in_on": filled_in_on or timezone.localdate(),
    }


FORM_BUILDERS = {"xlsx": form_workbook, "pdf": form_pdf}
CONTENT_TYPES = {"xlsx": XLSX, "pdf": PDF}
FORM_FILE_NAME = _("new-media registration form")


def form_content(
    *, department: Department, mask: bool, file_format: str = "xlsx", **parts
) -> bytes:
    """The department's registration form, laid out like the paper one, as xlsx or PDF."""
    return FORM_BUILDERS[file_format](**form_parts(department=department, **parts), mask=mask)


def form_xlsx(*, department: Department, mask: bool, **parts) -> bytes:
    """The department's registration form as the laid-out xlsx."""
    return form_content(department=department, mask=mask, file_format="xlsx", **parts)


def form_file_names(
    *, department: Department, file_format: str, on: dt.date | None = None
) -> tuple[str, str]:
    """The form's file name in Chinese (会计学院-新媒体登记表-2026-12-05.xlsx), and in ASCII for
    the clients that cannot read the other (RFC 6266)."""
    on = on or timezone.localdate()
    return (
        f"{department.name}-{FORM_FILE_NAME}-{on:%Y-%m-%d}.{file_format}",
        f"{department.code}-registration-form-{on:%Y-%m-%d}.{file_format}",
    )


def form_export(*, user, department: Department, file_format: str = "xlsx") -> bytes:
    """A user downloads a department's form (the caller fetched the department through
    ``for_user``): numbers whole where the user sees them whole, and audited then."""
    if not may_export(user):
        raise PermissionDenied(EXPORT_NOT_PERMITTED)
    mask = not personal_data.may_see_phones(user, department.pk)
    content = form_content(
        department=department,
        mask=mask,
        file_format=file_format,
        campaign=active_campaign(),
        filled_in_by=user.get_full_name() or user.get_username(),
    )
    if not mask:
        personal_data.personal_data_exported(
            user=user,
            model=Account,
            rows=form_accounts(department=department).count(),
            file_format=file_format,
            reason=FORM_REASON % {"department": department.name},
        )
    return content


def _state(account: Account) -> str:
    """The account's state, marked 变更待审 while a change to its registered facts waits (the
    row shows the registered facts)."""
    filing = getattr(account, "filing", None)
    label = filing.get_state_display() if filing else ""
    if getattr(account, "change_pending", False):
        return f"{label}（{ChangeRequest.State.PENDING.label}）"
    return label


def register_accounts(*, user, state: str = "", department: Department | None = None) -> QuerySet:
    """Every account the user sees (``user`` None: the command line, all), optionally in one
    state or one department, with what each row shows, in one query."""
    accounts = Account.objects.all() if user is None else Account.objects.for_user(user)
    accounts = accounts.select_related(*FORM_RELATED).annotate(
        change_pending=Exists(_pending_change())
    )
    if state:
        accounts = accounts.filter(filing__state=state)
    if department is not None:
        accounts = accounts.filter(department=department)
    return accounts


def register_scope(*, state: str = "", department: Department | None = None) -> str:
    """What the school-wide register holds: the whole school, or the filter it was drawn with."""
    parts = [department.name] if department else []
    if state:
        parts.append(str(Filing.State(state).label))
    return SCOPE_LINE % {"scope": "，".join(parts) if parts else WHOLE_SCHOOL}


def register_content(
    *,
    accounts,
    file_format: str,
    scope: str,
    mask: bool,
    filled_in_by: str,
) -> bytes:
    """The register's rows, with each account's state, as CSV or a laid-out xlsx."""
    extra = ((STATE, _state),)
    if file_format == "csv":
        return register_csv(accounts, mask=mask, extra=extra)
    return form_workbook(
        accounts=accounts,
        title=REGISTER_TITLE % {"school": settings.NEWMEDIA_SCHOOL_NAME},
        department_line=scope,
        campaign_line=campaign_line(active_campaign()),
        filled_in_by=filled_in_by,
        filled_in_on=timezone.localdate(),
        mask=mask,
        extra=extra,
    )


def register_export(
    *,
    user,
    file_format: str,
    state: str = "",
    department: Department | None = None,
    unmask: bool = False,
    reason: str = "",
) -> bytes:
    """The school-wide register for a user, masked unless they may and say why."""
    if not may_export(user):
        raise PermissionDenied(EXPORT_NOT_PERMITTED)
    if unmask and not personal_data.may_export_phones(user):
        raise ValidationError({"unmask_phones": personal_data.EXPORT_NOT_PERMITTED})
    if unmask and not reason.strip():
        raise ValidationError({"reason": personal_data.REASON_REQUIRED})
    accounts = register_accounts(user=user, state=state, department=department)
    content = register_content(
        accounts=accounts,
        file_format=file_format,
        scope=register_scope(state=state, department=department),
        mask=not unmask,
        filled_in_by=user.get_full_name() or user.get_username(),
    )
    if unmask:
        personal_data.personal_data_exported(
            user=user,
            model=Account,
            rows=accounts.count(),
            file_format=file_format,
            reason=reason.strip(),
        )
    return content
