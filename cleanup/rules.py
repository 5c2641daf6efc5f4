"""The clean-up rules, in one place: what each finds, how serious it is, the explanation that
cites the notice, and what it suggests doing.

Each rule's ``check`` reads the accounts in scope (``Context.accounts``: the accounts not being
closed) with a fixed number of queries, whatever their number, and returns the accounts that
break it with the details the explanation quotes. ``cleanup.services.findings_evaluate`` runs
them all and records the differences. Thresholds are settings (docs/cleanup.md gives their
sources); names and numbers are compared through the normalisations below.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from itertools import groupby

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.models import Account, Staff, forbidden_name_match

from .models import MemberMatch, RosterMember, Severity

C = Account.Category
D = Account.Disposition

# The filing states (approvals.FilingState, read by name: cleanup never imports approvals) of an
# account whose closure is decided. Its findings resolve: there is nothing left to fix.
CLOSING_STATES = ("closing", "closed")
# Closures after which the number may not come back (FORM.md: a deregistered ID stays gone).
FINAL_CLOSURES = (D.DEREGISTER, D.DISSOLVE)
GROUP_CATEGORIES = (C.WORK_GROUP, C.CHAT_GROUP, C.TEMPORARY_GROUP)
WORK_CATEGORIES = (C.WORK_GROUP, C.TEMPORARY_GROUP)


# ------------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------------

# A year, alone or as a school year, intake or class: 2023, 2023年, 2023级, 2023-2024学年, 23级.
_YEAR = re.compile(
    r"(?:19|20)\d{2}(?:\s*[-~～至到/]\s*(?:(?:19|20)?\d{2}))?\s*(?:学年|年度|年|级|届)?"
    r"|(?<!\d)\d{2}\s*(?:级|届)"
)


def _keep_letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def name_key(name: str) -> str:
    """A name as duplicates are compared: full-width forms, case, spaces, punctuation, emoji and
    years ignored, so "2023级新生群" and "2024级 新生群！" are the same name."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return _keep_letters_and_digits(_YEAR.sub("", text))


def purpose_key(purpose: str) -> str:
    """A purpose as duplicates are compared: full-width forms, case, spaces and punctuation
    ignored."""
    return _keep_letters_and_digits(unicodedata.normalize("NFKC", purpose or "").casefold())


_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?")


def number_key(number: str) -> str:
    """A number or ID as the same account's would be written again: full-width forms, case,
    spaces, separators and a link's scheme ignored."""
    text = unicodedata.normalize("NFKC", number or "").strip().casefold()
    text = _URL_PREFIX.sub("", text).rstrip("/")
    return re.sub(r"[\s\-_./:]", "", text)


def closure_for(category: str) -> str:
    """The closure that ends an account of this category: groups are dissolved, the rest
    deregistered."""
    return D.DISSOLVE if category in GROUP_CATEGORIES else D.DEREGISTER


# ------------------------------------------------------------------------------------------------
# The rules' frame
# ------------------------------------------------------------------------------------------------


@dataclass
class Hit:
    """An account breaking a rule: what the explanation quotes and what is suggested."""

    params: dict = field(default_factory=dict)
    suggestion: str = ""
    merge_into_id: int | None = None


@dataclass
class Context:
    """What the rules read: the accounts in scope (not being closed), today, and shared reads
    that several rules need, each made once."""

    accounts: QuerySet
    today: date

    @property
    def kept(self) -> QuerySet:
        """Accounts whose filer proposes keeping them: a proposed closure already answers every
        rule that suggests one."""
        return self.accounts.filter(disposition=D.KEEP)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    @cached_property
    def staff_by_name(self) -> dict[str, list[tuple[int, int, str]]]:
        """Every staff record by name: (id, department id, status); one query."""
        by_name = defaultdict(list)
        for pk, name, department_id, status in Staff.objects.values_list(
            "pk", "name", "department_id", "status"
        ).iterator(chunk_size=5000):
            by_name[name.strip()].append((pk, department_id, status))
        return by_name

    @cached_property
    def member_counts(self) -> dict[int, dict[str, int]]:
        """Per work or chat group with a current roster: its members by mark, counting only
        those not yet removed; one query."""
        rows = (
            RosterMember.objects.filter(
                roster__is_current=True,
                roster__account__in=self.accounts.filter(category__in=GROUP_CATEGORIES),
                removal_done_at__isnull=True,
            )
            .order_by()
            .values("roster__account_id")
            .annotate(
                total=Count("pk"),
                departed=Count("pk", filter=Q(match=MemberMatch.DEPARTED)),
                not_staff=Count("pk", filter=Q(match=MemberMatch.NOT_STAFF)),
                ambiguous=Count("pk", filter=Q(match=MemberMatch.AMBIGUOUS)),
            )
        )
        return {row.pop("roster__account_id"): row for row in rows.iterator()}


@dataclass(frozen=True)
class Rule:
    code: str
    notice_rule: str  # the rule of the notice it enforces: R1 … R6 (DESIGN.md)
    severity: str
    title: str
    explanation: str  # English source with %(name)s placeholders for the hit's params
    check: Callable[[Context], dict[int, Hit]]
    # Builds the explanation's parameters from the stored ones, for texts that need translating.
    render: Callable[[dict], dict] | None = None

    def explain(self, params: dict) -> str:
        values = self.render(params) if self.render else params
        try:
            return gettext(self.explanation) % values
        except (KeyError, TypeError, ValueError):
            # Details stored by an older version of the rule: the explanation without them.
            return str(self.title)


# ------------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------------


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def check_forbidden_name(ctx: Context) -> dict[int, Hit]:
    """R1: names matching a forbidden pattern (NEWMEDIA_FORBIDDEN_NAME_PATTERNS)."""
    hits = {}
    for pk, name, category in ctx.kept.values_list("pk", "name", "category").iterator():
        if pattern := forbidden_name_match(name):
            hits[pk] = Hit({"pattern": pattern}, closure_for(category))
    return hits


def check_task_ended(ctx: Context) -> dict[int, Hit]:
    """R3: temporary groups whose task has ended."""
    rows = ctx.kept.filter(category=C.TEMPORARY_GROUP, task_end_on__lt=ctx.today)
    return {
        pk: Hit({"task_end_on": _iso(end)}, D.DISSOLVE)
        for pk, end in rows.values_list("pk", "task_end_on").iterator()
    }


def check_public_inactive(ctx: Context) -> dict[int, Hit]:
    """R3: public accounts with no post for NEWMEDIA_CLEANUP_PUBLIC_INACTIVE_DAYS (14) days."""
    days = settings.NEWMEDIA_CLEANUP_PUBLIC_INACTIVE_DAYS
    rows = ctx.kept.filter(category=C.PUBLISHING, last_active_on__lt=ctx.days_ago(days))
    return {
        pk: Hit({"last_active_on": _iso(last), "days": days}, D.DEREGISTER)
        for pk, last in rows.values_list("pk", "last_active_on").iterator()
    }


def check_zombie_group(ctx: Context) -> dict[int, Hit]:
    """R3: groups silent for longer than the zombie threshold, but less than the unused one."""
    days = settings.NEWMEDIA_CLEANUP_ZOMBIE_DAYS
    rows = ctx.kept.filter(
        category__in=GROUP_CATEGORIES,
        last_active_on__lt=ctx.days_ago(days),
        last_active_on__gte=ctx.days_ago(settings.NEWMEDIA_CLEANUP_UNUSED_DAYS),
    )
    return {
        pk: Hit({"last_active_on": _iso(last), "days": days}, D.DISSOLVE)
        for pk, last in rows.values_list("pk", "last_active_on").iterator()
    }


def check_unused_group(ctx: Context) -> dict[int, Hit]:
    """R3: groups unused for NEWMEDIA_CLEANUP_UNUSED_DAYS (365) days or more."""
    days = settings.NEWMEDIA_CLEANUP_UNUSED_DAYS
    rows = ctx.kept.filter(category__in=GROUP_CATEGORIES, last_active_on__lt=ctx.days_ago(days))
    return {
        pk: Hit({"last_active_on": _iso(last), "days": days}, D.DISSOLVE)
        for pk, last in rows.values_list("pk", "last_active_on").iterator()
    }


def check_no_last_active(ctx: Context) -> dict[int, Hit]:
    """R3: work groups and public accounts with no last-active date: nothing can be checked."""
    rows = ctx.accounts.filter(
        category__in=(*WORK_CATEGORIES, C.PUBLISHING), last_active_on__isnull=True
    )
    return {pk: Hit() for pk in rows.values_list("pk", flat=True).iterator()}


def _survivor_key(row) -> tuple:
    # The largest first, then the oldest, then the first registered.
    pk, _department, _platform, _name, _purpose, members, created_on, *_rest = row
    return (-(members or 0), created_on or date.max, pk)


_DUPLICATE_COLUMNS = (
    "pk",
    "department_id",
    "platform",
    "name",
    "purpose",
    "member_count",
    "created_on",
    "naming_level",
    "platform_name",
)


def _merge_hits(
    rows: Iterable[tuple], key: Callable[[tuple], object], *, extra: Callable[[list], dict]
) -> dict[int, Hit]:
    """Per set of rows with the same non-empty key: all but the survivor merge into it."""
    hits = {}
    sets = defaultdict(list)
    for row in rows:
        if k := key(row):
            sets[k].append(row)
    for members in sets.values():
        if len(members) < 2:
            continue
        members.sort(key=_survivor_key)
        survivor = members[0]
        for row in members[1:]:
            params = {"survivor": survivor[3], "count": len(members), **extra(members)}
            hits[row[0]] = Hit(params, D.MERGE, survivor[0])
    return hits


def _by_department_and_platform(queryset: QuerySet):
    """The rows of each department and platform together, streamed: memory stays that of one
    department's platform, however many accounts there are. Accounts on 其他 platforms are
    grouped by the platform's own name: two different platforms are not duplicates."""
    rows = queryset.order_by("department_id", "platform", "platform_name").values_list(
        *_DUPLICATE_COLUMNS
    )
    return groupby(rows.iterator(chunk_size=5000), key=lambda row: (row[1], row[2], row[8]))


def check_duplicate_name(ctx: Context) -> dict[int, Hit]:
    """R4: one department's accounts on one platform with the same or near-same name."""
    hits = {}
    for _key, rows in _by_department_and_platform(ctx.kept):
        hits.update(_merge_hits(rows, lambda row: name_key(row[3]), extra=lambda rows: {}))
    return hits


def check_duplicate_purpose(ctx: Context) -> dict[int, Hit]:
    """R4: one department's accounts on one platform for the same purpose."""
    hits = {}
    for _key, rows in _by_department_and_platform(ctx.kept.exclude(purpose="")):
        hits.update(_merge_hits(rows, lambda row: purpose_key(row[4]), extra=lambda rows: {}))
    return hits


def check_public_per_platform(ctx: Context) -> dict[int, Hit]:
    """R4: more than one public account of a unit on a platform (国办发〔2018〕123号). The
    school's own accounts are a unit of their own, apart from the department that runs them."""
    hits = {}
    publishing = ctx.kept.filter(category=C.PUBLISHING)
    for _key, rows in _by_department_and_platform(publishing):
        hits.update(
            _merge_hits(
                rows,
                lambda row: "school" if row[7] == Account.NamingLevel.SCHOOL else "unit",
                extra=lambda rows: {},
            )
        )
    return hits


def check_work_group_cap(ctx: Context) -> dict[int, Hit]:
    """R4: more official work groups (in the department's name) than the cap allows."""
    cap = settings.NEWMEDIA_CLEANUP_WORK_GROUP_CAP
    rows = (
        ctx.kept.filter(category=C.WORK_GROUP, naming_level=Account.NamingLevel.DEPARTMENT)
        .order_by("department_id")
        .values_list(*_DUPLICATE_COLUMNS)
    )
    hits = {}
    for _department, group in groupby(rows.iterator(chunk_size=5000), key=lambda row: row[1]):
        members = sorted(group, key=_survivor_key)
        if len(members) <= cap:
            continue
        survivor = members[0]
        for row in members[cap:]:
            params = {"survivor": survivor[3], "count": len(members), "cap": cap}
            hits[row[0]] = Hit(params, D.MERGE, survivor[0])
    return hits


def check_chat_as_work(ctx: Context) -> dict[int, Hit]:
    """R5: a work group that looks like a chat group: a chat word in its name, or mostly
    members who are not staff."""
    patterns = [re.compile(p) for p in settings.NEWMEDIA_CLEANUP_CHAT_NAME_PATTERNS]
    share = settings.NEWMEDIA_CLEANUP_CHAT_NON_STAFF_PERCENT
    hits = {}
    rows = ctx.accounts.filter(category=C.WORK_GROUP).values_list("pk", "name")
    work_groups = set()
    for pk, name in rows.iterator():
        work_groups.add(pk)
        for pattern in patterns:
            if found := pattern.search(name):
                hits[pk] = Hit({"word": found.group(0)})
                break
    for pk, counts in ctx.member_counts.items():
        if pk in work_groups and pk not in hits and counts["total"]:
            outsiders = counts["not_staff"]
            if outsiders * 100 > counts["total"] * share:
                hits[pk] = Hit({"not_staff": outsiders, "members": counts["total"]})
    return hits


def _render_chat_as_work(params: dict) -> dict:
    if "word" in params:
        evidence = gettext("its name contains “%(word)s”") % params
    else:
        evidence = gettext("%(not_staff)d of its %(members)d members are not staff") % params
    return {"evidence": evidence}


def check_no_real_name(ctx: Context) -> dict[int, Hit]:
    """R5: work groups without real-name admission."""
    rows = ctx.accounts.filter(category__in=WORK_CATEGORIES, real_name_admission=False)
    return {pk: Hit() for pk in rows.values_list("pk", flat=True).iterator()}


def _member_check(mark: str) -> Callable[[Context], dict[int, Hit]]:
    def check(ctx: Context) -> dict[int, Hit]:
        work_groups = set(
            ctx.accounts.filter(category__in=WORK_CATEGORIES).values_list("pk", flat=True)
        )
        return {
            pk: Hit({"count": counts[mark], "members": counts["total"]})
            for pk, counts in ctx.member_counts.items()
            if pk in work_groups and counts[mark]
        }

    check.__doc__ = f"R5: work groups whose current roster has {mark} members not yet removed."
    return check


def check_owner_missing(ctx: Context) -> dict[int, Hit]:
    """R6: no responsible owner or no content reviewer named."""
    rows = ctx.accounts.filter(Q(owner_name="") | Q(security_contact_name=""))
    return {pk: Hit() for pk in rows.values_list("pk", flat=True).iterator()}


def _owner_standing(ctx: Context, person: str = "owner") -> dict[int, tuple[str, str]]:
    """Per account with a named owner (or ``person="administrator"``) who is not in post:
    ("departed" | "not_staff", name).

    The owner's staff record decides when the account is linked to one; otherwise (and always
    for the administrator, who has no link) the name is looked up in the department's staff,
    then in everyone's: any one in post with that name counts as staff (no guessing against the
    filer), only departed ones as departed."""
    standing = {}
    linked = person == "owner"
    rows = ctx.accounts.exclude(**{f"{person}_name": ""}).values_list(
        "pk",
        "department_id",
        f"{person}_name",
        "owner_id" if linked else "pk",
        "owner__status" if linked else "pk",
    )
    for pk, department_id, name, owner_id, owner_status in rows.iterator(chunk_size=5000):
        owner_id = owner_id if linked else None
        name = name.strip()
        if owner_id is not None:
            if owner_status != Staff.Status.ACTIVE:
                standing[pk] = ("departed", name)
            continue
        everyone = ctx.staff_by_name.get(name, [])
        local = [s for s in everyone if s[1] == department_id]
        candidates = local or everyone
        if not candidates:
            standing[pk] = ("not_staff", name)
        elif all(status != Staff.Status.ACTIVE for _pk, _d, status in candidates):
            standing[pk] = ("departed", name)
    return standing


def check_owner_departed(ctx: Context) -> dict[int, Hit]:
    """R6: the owner has left or retired."""
    return {
        pk: Hit({"owner": name})
        for pk, (kind, name) in _owner_standing(ctx).items()
        if kind == "departed"
    }


def check_owner_not_staff(ctx: Context) -> dict[int, Hit]:
    """R6: the owner is on no staff roster (a student, or someone outside the school)."""
    return {
        pk: Hit({"owner": name})
        for pk, (kind, name) in _owner_standing(ctx).items()
        if kind == "not_staff"
    }


def check_administrator_not_staff(ctx: Context) -> dict[int, Hit]:
    """R5: the administrator (管理员, 管理者, 运维人员) is on no staff roster or has left."""
    return {
        pk: Hit({"administrator": name})
        for pk, (_kind, name) in _owner_standing(ctx, "administrator").items()
    }


def check_rules_not_acknowledged(ctx: Context) -> dict[int, Hit]:
    """R6: the content-security acknowledgement is missing."""
    rows = ctx.accounts.filter(rules_acknowledged=False)
    return {pk: Hit() for pk in rows.values_list("pk", flat=True).iterator()}


def check_annual_unconfirmed(ctx: Context) -> dict[int, Hit]:
    """R3: accounts that an annual review (年审) asked about and nobody confirmed, asked to
    change or to close by its deadline. Read through the account's ``annual_confirmations``
    (approvals/models/annual.py), by name: cleanup does not import approvals."""
    rows = ctx.accounts.filter(
        annual_confirmations__state="pending",
        annual_confirmations__campaign__deadline__lt=ctx.today,
    ).values_list(
        "pk", "annual_confirmations__campaign__title", "annual_confirmations__campaign__deadline"
    )
    return {
        pk: Hit({"campaign": title, "deadline": _iso(deadline)})
        for pk, title, deadline in rows.iterator()
    }


def check_closed_number_returns(ctx: Context) -> dict[int, Hit]:
    """R4: the number of an account already deregistered or dissolved, back on a live one."""
    closed = Account.objects.filter(
        filing__state__in=CLOSING_STATES, filing__closure_kind__in=FINAL_CLOSURES
    ).exclude(number="")
    gone = {
        (platform, other, number_key(number)): (number, name)
        for platform, other, number, name in closed.values_list(
            "platform", "platform_name", "number", "name"
        ).iterator()
    }
    if not gone:
        return {}
    hits = {}
    rows = ctx.kept.exclude(number="").values_list(
        "pk", "platform", "platform_name", "number", "category"
    )
    for pk, platform, other, number, category in rows.iterator(chunk_size=5000):
        if found := gone.get((platform, other, number_key(number))):
            hits[pk] = Hit({"number": found[0], "closed": found[1]}, closure_for(category))
    return hits


# ------------------------------------------------------------------------------------------------
# The rules, in the order they are shown
# ------------------------------------------------------------------------------------------------

B, W = Severity.BLOCKING, Severity.WARNING

RULES: tuple[Rule, ...] = (
    Rule(
        "forbidden_name",
        "R1",
        B,
        _("Forbidden name"),
        _(
            "The name matches the forbidden pattern “%(pattern)s” (R1): no account may be built "
            "in the name of the provincial Department of Finance. It cannot be approved or "
            "registered: rename it, or close it."
        ),
        check_forbidden_name,
    ),
    Rule(
        "closed_number_returns",
        "R4",
        B,
        _("Closed number back in use"),
        _(
            "The number %(number)s belonged to “%(closed)s”, which was deregistered or dissolved "
            "(R4): a closed account may not come back as a new one. It cannot be approved or "
            "registered."
        ),
        check_closed_number_returns,
    ),
    Rule(
        "owner_departed",
        "R6",
        B,
        _("Owner has left"),
        _(
            "The owner %(owner)s has left or retired (R6, whoever builds it manages it): name an "
            "owner in post before it can be approved or registered."
        ),
        check_owner_departed,
    ),
    Rule(
        "task_ended",
        "R3",
        W,
        _("Temporary group's task ended"),
        _(
            "The task of this temporary group ended on %(task_end_on)s (R3): dissolve it, or "
            "give the reason for keeping it."
        ),
        check_task_ended,
    ),
    Rule(
        "unused_group",
        "R3",
        W,
        _("Unused for a year"),
        _(
            "No activity since %(last_active_on)s, more than %(days)s days (R3): a group unused "
            "for a year is dissolved."
        ),
        check_unused_group,
    ),
    Rule(
        "zombie_group",
        "R3",
        W,
        _("Zombie group"),
        _(
            "No activity since %(last_active_on)s, more than %(days)s days (R3): a long-unused "
            "“zombie” work group is to be cleaned up. Dissolve it, or give the reason for "
            "keeping it."
        ),
        check_zombie_group,
    ),
    Rule(
        "public_inactive",
        "R3",
        W,
        _("Public account not updated"),
        _(
            "No post since %(last_active_on)s, more than %(days)s days (R3): a public account "
            "not updated for two weeks fails the national inspection (国办秘函〔2019〕19号). "
            "Update it regularly, or deregister it."
        ),
        check_public_inactive,
    ),
    Rule(
        "no_last_active",
        "R3",
        W,
        _("No last-active date"),
        _(
            "No last-active date is recorded (R3): without it nobody can tell whether this is a "
            "zombie group or an abandoned account. Fill it in."
        ),
        check_no_last_active,
    ),
    Rule(
        "duplicate_name",
        "R4",
        W,
        _("Duplicate name"),
        _(
            "%(count)s accounts of the department on this platform have the same or nearly the "
            "same name (R4): merge this one into “%(survivor)s”, the largest or oldest."
        ),
        check_duplicate_name,
    ),
    Rule(
        "duplicate_purpose",
        "R4",
        W,
        _("Duplicate purpose"),
        _(
            "%(count)s accounts of the department on this platform serve the same purpose (R4): "
            "merge this one into “%(survivor)s”, the largest or oldest."
        ),
        check_duplicate_purpose,
    ),
    Rule(
        "public_per_platform",
        "R4",
        W,
        _("More than one public account on a platform"),
        _(
            "The department has %(count)s public accounts on this platform; one unit keeps one "
            "account per platform (R4, 国办发〔2018〕123号): merge this one into “%(survivor)s”."
        ),
        check_public_per_platform,
    ),
    Rule(
        "work_group_cap",
        "R4",
        W,
        _("Too many official work groups"),
        _(
            "The department has %(count)s work groups in its own name, more than the %(cap)s "
            "allowed (R4): merge this one into “%(survivor)s”."
        ),
        check_work_group_cap,
    ),
    Rule(
        "chat_as_work",
        "R5",
        W,
        _("Chat group filed as a work group"),
        _(
            "Filed as a work group, but %(evidence)s (R5): work groups and chat groups are told "
            "apart. If it is a chat group, file it as one."
        ),
        check_chat_as_work,
        render=_render_chat_as_work,
    ),
    Rule(
        "no_real_name",
        "R5",
        W,
        _("No real-name admission"),
        _(
            "A work group without real-name admission (R5): work groups admit and remove members "
            "by real name. Introduce it and tick “real-name admission”."
        ),
        check_no_real_name,
    ),
    Rule(
        "members_departed",
        "R5",
        W,
        _("Departed staff in a work group"),
        _(
            "%(count)s of the %(members)s members on the current roster have left or retired "
            "(R5): remove them from the group, then mark the removals done on the roster page."
        ),
        _member_check(MemberMatch.DEPARTED),
    ),
    Rule(
        "members_not_staff",
        "R5",
        W,
        _("Non-staff in a work group"),
        _(
            "%(count)s of the %(members)s members on the current roster are not staff (R5): "
            "remove them from the group, then mark the removals done on the roster page."
        ),
        _member_check(MemberMatch.NOT_STAFF),
    ),
    Rule(
        "owner_missing",
        "R6",
        W,
        _("No owner or content reviewer"),
        _(
            "The owner or the content reviewer is not named (R6, whoever builds it manages it): "
            "every account has both."
        ),
        check_owner_missing,
    ),
    Rule(
        "owner_not_staff",
        "R6",
        W,
        _("Owner is not staff"),
        _(
            "The owner %(owner)s is on no staff roster (R6): an account's administrators must "
            "be staff, not students or outsiders."
        ),
        check_owner_not_staff,
    ),
    Rule(
        "administrator_not_staff",
        "R5",
        W,
        _("Administrator is not staff"),
        _(
            "The administrator %(administrator)s is not staff in post (R5): an account's "
            "administrators must be staff, not students, outsiders or people who have left."
        ),
        check_administrator_not_staff,
    ),
    Rule(
        "rules_not_acknowledged",
        "R6",
        W,
        _("Content rules not acknowledged"),
        _(
            "The owner and the content reviewer have not acknowledged the content rules (R6): "
            "internal material only, nothing classified or sensitive, nothing on major events "
            "without authorisation."
        ),
        check_rules_not_acknowledged,
    ),
    Rule(
        "annual_unconfirmed",
        "R3",
        W,
        _("Not confirmed in the annual review"),
        _(
            "Nobody confirmed this account in the annual review “%(campaign)s” by its deadline, "
            "%(deadline)s (R3): confirm that it is still in use and its facts are right, or ask "
            "to change or to close it."
        ),
        check_annual_unconfirmed,
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
ORDER: dict[str, int] = {rule.code: n for n, rule in enumerate(RULES)}
RULE_CHOICES = [(rule.code, rule.title) for rule in RULES]


def explain(code: str, params: dict) -> str:
    """The explanation of a stored finding, or the code of a rule since retired."""
    rule = BY_CODE.get(code)
    return rule.explain(params or {}) if rule else code


def rule_title(code: str) -> str:
    rule = BY_CODE.get(code)
    return str(rule.title) if rule else code


def notice_rule(code: str) -> str:
    rule = BY_CODE.get(code)
    return rule.notice_rule if rule else ""
