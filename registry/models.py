"""The register's facts: departments, staff and every new-media account, as the form has them."""

import re
import uuid
from functools import lru_cache

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newmedia.choices import choice_label

from .querysets import AccountQuerySet, DepartmentQuerySet, StaffQuerySet

phone_validator = RegexValidator(
    r"^(1\d{10}|0\d{2,3}-?\d{7,8})$",
    _("Enter an 11-digit mobile number or a landline such as 0791-83800000."),
)


class DepartmentKind(models.TextChoices):
    COLLEGE = "college", _("Secondary college")
    OFFICE = "office", _("Functional department")
    CAMPUS = "campus", _("Campus")


class StaffStatus(models.TextChoices):
    ACTIVE = "active", _("In post")
    LEFT = "left", _("Left")
    RETIRED = "retired", _("Retired")


class Platform(models.TextChoices):
    QQ_GROUP = "qq_group", _("QQ group")
    WECHAT_GROUP = "wechat_group", _("WeChat group")
    WECOM_GROUP = "wecom_group", _("WeCom group")
    DINGTALK_GROUP = "dingtalk_group", _("DingTalk group")
    WECHAT_OFFICIAL = "wechat_official", _("WeChat official account")
    WEIBO = "weibo", _("Weibo")
    DOUYIN = "douyin", _("Douyin")
    CHANNELS = "channels", _("WeChat Channels")
    TOUTIAO = "toutiao", _("Toutiao")
    KUAISHOU = "kuaishou", _("Kuaishou")
    XIAOHONGSHU = "xiaohongshu", _("Xiaohongshu")
    BILIBILI = "bilibili", _("Bilibili")
    MINI_PROGRAM = "mini_program", _("WeChat mini program")
    APP = "app", _("Mobile app (APP)")
    OTHER = "other", _("Other")


class AccountType(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Subscription account")
    SERVICE = "service", _("Service account")


class NamingLevel(models.TextChoices):
    SCHOOL = "school", _("In the school's name")
    DEPARTMENT = "department", _("In a department's name")
    WORK = "work", _("In the name of a piece of work")


class Category(models.TextChoices):
    WORK_GROUP = "work_group", _("Work group")
    CHAT_GROUP = "chat_group", _("Chat group")
    TEMPORARY_GROUP = "temporary_group", _("Temporary work group")
    PUBLISHING = "publishing", _("Publishing account")


class Disposition(models.TextChoices):
    KEEP = "keep", _("Keep")
    MERGE = "merge", _("Merge")
    DEREGISTER = "deregister", _("Deregister")
    TAKE_DOWN = "take_down", _("Take down")
    DISSOLVE = "dissolve", _("Dissolve")


class Department(models.Model):
    Kind = DepartmentKind

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    filers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="filing_departments",
        verbose_name=_("filers"),
    )
    # 部门负责人: read the department's data and receive copies of its results; sign nothing.
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("department heads"),
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        # Spreadsheet import and export are explicit (django-import-export's setting names the
        # codes), never implied by the right to add or view.
        permissions = [
            ("import_department", _("Can import departments from spreadsheets")),
            ("export_department", _("Can export departments to spreadsheets")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DepartmentKind.values),
                name="registry_department_kind_valid",
            ),
        ]

    def __str__(self):
        return self.name


class Staff(models.Model):
    Status = StaffStatus

    staff_number = models.CharField(_("staff number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("department"),
    )
    post = models.CharField(_("post"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    left_on = models.DateField(_("date left"), null=True, blank=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["department", "name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        permissions = [
            ("import_staff", _("Can import the staff roster from spreadsheets")),
            ("export_staff", _("Can export the staff roster to spreadsheets")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=StaffStatus.values),
                name="registry_staff_status_valid",
            ),
            # Someone still in post cannot have a leaving date.
            models.CheckConstraint(
                condition=~Q(status="active") | Q(left_on__isnull=True),
                name="registry_staff_left_on_only_when_gone",
                violation_error_message=_("Someone still in post has no leaving date."),
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.staff_number}）"


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern]:
    return [re.compile(p) for p in patterns]


def forbidden_name_match(name: str) -> str | None:
    """The first forbidden pattern (R1) the name matches, or None."""
    for pattern in _compiled(tuple(settings.NEWMEDIA_FORBIDDEN_NAME_PATTERNS)):
        if pattern.search(name):
            return pattern.pattern
    return None


class Account(models.Model):
    """One QQ group, WeChat group or public account, with every column of the registration form."""

    Platform = Platform
    AccountType = AccountType
    NamingLevel = NamingLevel
    Category = Category
    Disposition = Disposition
    # The registration form's columns (FORM.md), in its order: what filers fill in and exchange.
    FORM_COLUMNS = (
        "department",
        "name",
        "platform",
        "account_type",
        "number",
        "naming_level",
        "category",
        "purpose",
        "created_on",
        "task_end_on",
        "owner_name",
        "owner_post",
        "owner_phone",
        "administrator_name",
        "security_contact_name",
        "member_count",
        "real_name_admission",
        "last_active_on",
        "disposition",
        "merge_into",
        "disposition_reason",
        "remarks",
    )
    # Groups on these platforms have no number a member can look up.
    NUMBERLESS_PLATFORMS = frozenset(
        {Platform.WECHAT_GROUP, Platform.WECOM_GROUP, Platform.APP, Platform.OTHER}
    )

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name=_("department"),
    )
    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    # 其他: the platform's own name, so that two "other" accounts on different platforms are
    # told apart (the one-per-platform checks compare real platforms).
    platform_name = models.CharField(
        _("platform name"),
        max_length=50,
        blank=True,
        help_text=_("For “Other”: the platform the account is on."),
    )
    account_type = models.CharField(
        _("account type"), max_length=20, choices=AccountType.choices, blank=True
    )
    number = models.CharField(
        _("number or ID"),
        max_length=128,
        blank=True,
        help_text=_("Group number, account ID or link."),
    )
    naming_level = models.CharField(_("naming level"), max_length=20, choices=NamingLevel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    created_on = models.DateField(_("date created"), null=True, blank=True)
    task_end_on = models.DateField(
        _("task end date"),
        null=True,
        blank=True,
        help_text=_("Required for a temporary work group."),
    )
    owner = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_accounts",
        verbose_name=_("owner (staff record)"),
    )
    owner_name = models.CharField(_("owner"), max_length=50, blank=True)
    owner_post = models.CharField(_("owner's post"), max_length=50, blank=True)
    owner_phone = models.CharField(
        _("owner's phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    # The group's or account's administrator beside its owner (管理员 / 管理者 / 运维人员): staff
    # too, as the clean-up rules check (R5).
    administrator_name = models.CharField(_("administrator"), max_length=50, blank=True)
    security_contact = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secured_accounts",
        verbose_name=_("content reviewer (staff record)"),
    )
    security_contact_name = models.CharField(_("content reviewer"), max_length=50, blank=True)
    member_count = models.PositiveIntegerField(_("members or followers"), null=True, blank=True)
    real_name_admission = models.BooleanField(_("real-name admission"), default=False)
    last_active_on = models.DateField(_("last active on"), null=True, blank=True)
    disposition = models.CharField(
        _("proposed disposition"),
        max_length=20,
        choices=Disposition.choices,
        default=Disposition.KEEP,
    )
    merge_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merge into"),
    )
    disposition_reason = models.CharField(
        _("reason for the disposition"), max_length=200, blank=True
    )
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    rules_acknowledged = models.BooleanField(
        _("content rules acknowledged"),
        default=False,
        help_text=_(
            "The owner and the content reviewer have read the content rules: internal material "
            "only, nothing classified or sensitive, nothing on major events without authorisation."
        ),
    )
    # Who acknowledged the content rules for the account, and when (R6; at import, for a file).
    rules_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rules acknowledged by"),
    )
    rules_acknowledged_at = models.DateTimeField(_("rules acknowledged at"), null=True, blank=True)
    # Bumped on every edit, so a form saved over someone else's change is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = AccountQuerySet.as_manager()

    class Meta:
        # By the department's id, not its code: the list then reads its page straight off the
        # index below, instead of joining and sorting every account (see docs/performance.md).
        ordering = ["department_id", "platform", "name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        permissions = [
            ("view_all_accounts", _("Can see every department's accounts")),
            # registry.personal_data: unmasked phone numbers in exports, granted to nobody.
            ("export_personal_data", _("Can export unmasked phone numbers")),
            ("import_account", _("Can import the registration form from spreadsheets")),
            ("export_account", _("Can export the registration form and the register")),
            # The admin applies a change to a registered account at once, with a reason, for
            # those who hold it; for the others it becomes a change request (变更备案).
            ("correct_registered_data", _("Can correct registered data directly")),
        ]
        indexes = [
            models.Index(
                fields=["department", "platform", "name", "id"], name="registry_account_list_order"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_name", "number"],
                condition=~Q(number=""),
                name="registry_account_unique_number_per_platform",
                violation_error_message=_(
                    "Another account on this platform already has this number or ID."
                ),
            ),
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values),
                name="registry_account_platform_valid",
            ),
            models.CheckConstraint(
                condition=Q(naming_level__in=NamingLevel.values),
                name="registry_account_naming_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="registry_account_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=Disposition.values),
                name="registry_account_disposition_valid",
            ),
            models.CheckConstraint(
                condition=Q(platform="other") | Q(platform_name=""),
                name="registry_account_platform_name_only_for_other",
                violation_error_message=_("Only an account on another platform names it."),
            ),
            # 订阅号 / 服务号 only describe WeChat official accounts; groups leave it blank.
            models.CheckConstraint(
                condition=Q(account_type="")
                | Q(platform="wechat_official", account_type__in=AccountType.values),
                name="registry_account_type_only_for_official",
                violation_error_message=_(
                    "Only a WeChat official account has an account type (subscription or service)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(category="temporary_group") | Q(task_end_on__isnull=False),
                name="registry_account_temporary_group_has_task_end",
                violation_error_message=_("A temporary work group needs the date its task ends."),
            ),
            models.CheckConstraint(
                condition=Q(created_on__isnull=True)
                | Q(task_end_on__isnull=True)
                | Q(task_end_on__gte=F("created_on")),
                name="registry_account_task_ends_after_creation",
                violation_error_message=_("The task cannot end before the group was created."),
            ),
            # 整合 names the surviving account, and only 整合 does.
            models.CheckConstraint(
                condition=Q(disposition="merge", merge_into__isnull=False)
                | (~Q(disposition="merge") & Q(merge_into__isnull=True)),
                name="registry_account_merge_names_survivor",
                violation_error_message=_(
                    "A merge names the account it is merged into, and only a merge does."
                ),
            ),
            models.CheckConstraint(
                condition=Q(merge_into__isnull=True) | ~Q(merge_into=F("id")),
                name="registry_account_not_merged_into_itself",
                violation_error_message=_("An account cannot be merged into itself."),
            ),
        ]

    def __str__(self):
        # The plain platform: lists load accounts with ``only()``, and a deferred platform name
        # would cost a query per row.
        return f"{self.name}（{self.platform_display}）"

    def get_absolute_url(self):
        return reverse("approvals:account_detail", args=[self.pk])

    @property
    def platform_label(self) -> str:
        """The platform as people name it: 其他 with its own name (其他（校园网）)."""
        label = self.platform_display
        return f"{label}（{self.platform_name}）" if self.platform_name else label

    @property
    def platform_display(self) -> str:
        """``get_platform_display()`` from the labels' cache (newmedia/choices.py): every row of
        a list names its account."""
        return choice_label(self, "platform")

    @property
    def forbidden_pattern(self) -> str | None:
        """The forbidden-name pattern (R1) this account's name matches, if any."""
        return forbidden_name_match(self.name)

    @property
    def needs_approval(self) -> bool:
        """R2: built in the school's name, so it needs approval rather than registration."""
        return self.naming_level == self.NamingLevel.SCHOOL

    def missing_for_submission(self) -> list[str]:
        """The names of the columns a filer must still fill in before submitting."""
        required = [
            "name",
            "purpose",
            "owner_name",
            "owner_phone",
            "security_contact_name",
        ]
        if self.platform not in self.NUMBERLESS_PLATFORMS:
            required.append("number")
        if self.platform == self.Platform.WECHAT_OFFICIAL:
            required.append("account_type")
        if self.platform == self.Platform.OTHER:
            required.append("platform_name")
        if self.disposition != self.Disposition.KEEP:
            required.append("disposition_reason")
        return [
            str(self._meta.get_field(field).verbose_name)
            for field in required
            if not getattr(self, field)
        ]


class AccountChange(models.Model):
    """One change to an account's facts: who, when, by which path, and each field's old and new
    value (raw, as stored, so that they are shown in the reader's language)."""

    class Path(models.TextChoices):
        SITE = "site", _("Edited on the site")
        ADMIN = "admin", _("Corrected in the admin")
        IMPORT = "import", _("Imported from a spreadsheet")
        CHANGE_REQUEST = "change_request", _("Change request approved")

    # The facts whose changes are kept: the form's columns, and the other platform's name.
    FIELDS = (*Account.FORM_COLUMNS, "platform_name")

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="changes", verbose_name=_("account")
    )
    changed_at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    path = models.CharField(_("path"), max_length=16, choices=Path.choices)
    # Why an administrator corrected registered facts directly (required then).
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # {field name: [old, new]}: dates as ISO text, related records by id.
    changes = models.JSONField(_("changes"))

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("change to an account")
        verbose_name_plural = _("changes to accounts")
        indexes = [models.Index(fields=["account", "changed_at"], name="registry_change_account")]

    def __str__(self):
        return f"{self.account_id} {self.changed_at:%Y-%m-%d %H:%M} {self.get_path_display()}"


class PendingImport(models.Model):
    """An uploaded spreadsheet whose dry run the user has seen, kept until they confirm or cancel
    it, and never longer than ``NEWMEDIA_IMPORT_PENDING_SECONDS`` (the purge task)."""

    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", _("Registration form")
        STAFF = "staff", _("Staff roster")

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    # Stored under a generated name; never served.
    file = models.FileField(_("file"))
    # What the user chose on the dry-run page for the whole file (the naming level and category
    # of rows that give none), read again on confirmation.
    options = models.JSONField(_("options"), default=dict, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("import awaiting confirmation")
        verbose_name_plural = _("imports awaiting confirmation")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["accounts", "staff"]),
                name="registry_pendingimport_kind_valid",
            ),
        ]

    def __str__(self):
        return self.original_name


class ColumnMapping(models.Model):
    """A department's answer for a heading its files use and the import does not know: the
    field the column fills, or blank to ignore it; used for the department's next files."""

    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="column_mappings",
        verbose_name=_("department"),
    )
    heading = models.CharField(_("heading"), max_length=100)  # as sheets.header_key folds it
    field = models.CharField(_("field"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["department", "heading"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "heading"], name="registry_columnmapping_one_per_heading"
            )
        ]

    def __str__(self):
        return f"{self.heading} → {self.field or '-'}"
