"""The admin for data fixes. States move only through the services, as on the site.

django-fsm-2 4.2.4's own admin path skips the permission check for transitions without a form,
runs outside a transaction and saves twice; every transition here has a form, and
``_apply_fsm_transition`` hands the work to the same service the site uses.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin
from import_export.admin import ImportExportModelAdmin

from cleanup import services as cleanup_services
from cleanup.admin import findings_html
from newmedia.admins import ReadOnlyAdmin
from registry import services as registry_services
from registry.admin import (
    AuditedImportMixin,
    NoDeleteAdmin,
    PersonalDataAdminMixin,
    SafeExportMixin,
    SheetImportAdminMixin,
)
from registry.forms import AccountForm
from registry.layouts import FORM
from registry.models import Account, AccountChange
from registry.resources import AccountResource

from . import selectors, services
from .models import (
    CHANGEABLE_STATES,
    AnnualConfirmation,
    Campaign,
    ChangeRequest,
    DepartmentReturn,
    Filing,
    LeaveDelegation,
    ManualReminderLog,
    Notification,
    OverdueDigestLog,
    ReminderLog,
    SignOffLevel,
)
from .services import annual, changes
from .services.imports import FiledFormAccountResource


def _history_html(filing: Filing | None):
    if filing is None:
        return "—"
    return _entries_html(selectors.filing_history(filing=filing))


def _entries_html(entries):
    return format_html(
        "<ol>{}</ol>",
        format_html_join(
            "",
            "<li>{} · {} · {} {} → {}<br>{}</li>",
            (
                (
                    entry.when.strftime("%Y-%m-%d %H:%M"),
                    entry.who,
                    entry.action,
                    entry.source,
                    entry.target,
                    entry.comment,
                )
                for entry in entries
            ),
        ),
    )


class AccountAdminForm(forms.ModelForm):
    # The version the administrator opened; a save over someone else's change is refused.
    expected_version = forms.IntegerField(
        label=_("version opened"), widget=forms.HiddenInput, required=False
    )
    # A registered account's facts change by a change request, or directly for those who may
    # correct registered data: either way with a reason.
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        required=False,
        help_text=_("Required for an approved or registered account."),
    )

    class Meta:
        model = Account
        # Every column of the form, and the staff links; the state is not one of them.
        fields = [*AccountForm.Meta.fields, "owner", "security_contact"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("expected_version") != (
            Account.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        ):
            raise ValidationError(registry_services.STALE_EDIT, code="stale")
        if (
            self.registered()
            and self.has_changed()
            and not cleaned.get("change_reason", "").strip()
        ):
            self.add_error("change_reason", changes.REASON_REQUIRED)
        return cleaned

    def registered(self) -> bool:
        """Whether the account's facts are registered (approved or registered)."""
        filing = getattr(self.instance, "filing", None) if self.instance.pk else None
        return filing is not None and filing.state in CHANGEABLE_STATES


@admin.register(Account)
class AccountAdmin(
    SafeExportMixin,
    SheetImportAdminMixin,
    PersonalDataAdminMixin,
    AuditedImportMixin,
    NoDeleteAdmin,
    ImportExportModelAdmin,
):
    form = AccountAdminForm
    # Exports every column with the id; imports the registration form as the site does, new
    # accounts opening their filing as drafts (services.imports).
    resource_classes = [AccountResource]
    sheet_layout = FORM
    import_resource_class = FiledFormAccountResource
    list_display = [
        "name",
        "department",
        "platform",
        "number",
        "naming_level",
        "category",
        "state",
    ]
    list_filter = [
        "filing__state",
        "platform",
        "naming_level",
        "category",
        "department",
    ]
    list_select_related = ["department", "filing"]
    list_per_page = 50
    search_fields = ["name", "number", "owner_name"]
    autocomplete_fields = ["department", "owner", "security_contact", "merge_into"]
    readonly_fields = [
        "state",
        "findings",
        "history",
        "rules_acknowledged_by",
        "rules_acknowledged_at",
        "created_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("Clean-up checks"))
    def findings(self, obj):
        return findings_html(obj.pk)

    @admin.display(description=_("state"), ordering="filing__state")
    def state(self, obj):
        return obj.filing.get_state_display() if hasattr(obj, "filing") else "—"

    @admin.display(description=_("history"))
    def history(self, obj):
        return _history_html(getattr(obj, "filing", None))

    def response_change(self, request, obj):
        if getattr(request, "change_requested", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            services.filing_create(account=obj, by=request.user)
            return
        reason = form.cleaned_data["change_reason"].strip()
        if form.registered() and not request.user.has_perm("registry.correct_registered_data"):
            # Not a correction: the same change request a department makes (变更备案).
            try:
                changes.change_request_create(
                    account=obj,
                    by=request.user,
                    version=form.cleaned_data["expected_version"],
                    reason=reason,
                    path=AccountChange.Path.ADMIN,
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, changes.WAITING_IN_ADMIN, messages.WARNING)
            request.change_requested = True  # no "changed successfully": nothing changed yet
            return
        with transaction.atomic():
            registry_services.account_update(
                account=obj,
                version=form.cleaned_data["expected_version"],
                by=request.user,
                path=AccountChange.Path.ADMIN,
                reason=reason,
            )
            departments = {obj.department_id, form.initial.get("department")}
            cleanup_services.findings_refresh(department_ids=departments)


class ServiceStepsAdmin(FSMAdminMixin, NoDeleteAdmin):
    """A state machine's record in the admin: its steps offered as django-fsm-2's buttons and
    forms, and carried out by the same service as on the site (permission, guard, one
    transaction, one log row). Records open on the site, never here."""

    fsm_fields = ["state"]

    @staticmethod
    def get_fsm_block_label(fsm_field_name):
        return _("Transitions")

    def get_fsm_label(self, transition):
        return services.step_label(self.model, transition.name)

    def admin_steps(self) -> frozenset[str]:
        # A step that carries an upload (a screenshot, the stamped scan) is taken on the site:
        # the admin's transition form cannot carry a file.
        return frozenset(step.name for step in self.model.machine if step.upload is None)

    def is_fsm_transition_visible(self, transition):
        return transition.name in self.admin_steps()

    def has_add_permission(self, request):
        return False

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        if transition_name not in self.admin_steps():
            self.message_user(request, _("This step is taken on the site."), messages.ERROR)
            return False
        try:
            services.step_take(obj, transition_name, by=request.user, **(kwargs or {}))
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return False
        self.message_user(
            request,
            _("Done: %(action)s.") % {"action": services.step_label(self.model, transition_name)},
            messages.SUCCESS,
        )
        return True


@admin.register(Filing)
class FilingAdmin(ServiceStepsAdmin):
    fsm_transition_not_allowed_msg = _("“{transition_name}” is not allowed for you on this filing.")
    list_display = [
        "account",
        "department",
        "state",
        "state_changed_at",
        "closure_kind",
    ]
    list_filter = ["state", "closure_kind", "account__department"]
    list_select_related = ["account__department"]
    list_per_page = 50
    search_fields = ["account__name", "account__number"]
    readonly_fields = [
        "account",
        "state",
        "state_changed_at",
        "closure_kind",
        "closure_reason",
        "closure_merge_into",
        "evidence",
        "closure_reported_at",
        "findings",
        "history",
    ]
    fields = readonly_fields

    @admin.display(description=_("department"), ordering="account__department")
    def department(self, obj):
        return obj.account.department

    @admin.display(description=_("Clean-up checks"))
    def findings(self, obj):
        # The blocking ones are why approval or registration is refused.
        return findings_html(obj.account_id)

    @admin.display(description=Filing._meta.get_field("closure_evidence").verbose_name)
    def evidence(self, obj):
        # The file field's own widget links into MEDIA_URL, which is never served: link to the
        # permission-checked download instead.
        if not obj.closure_evidence:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("approvals:evidence_download", args=[obj.account_id]),
            _("Download the screenshot"),
        )

    @admin.display(description=_("history"))
    def history(self, obj):
        return _history_html(obj)


@admin.register(SignOffLevel)
class SignOffLevelAdmin(admin.ModelAdmin):
    """The sign-off chains: a level can be added, changed or removed at any time; filings already
    in a chain keep the chain they entered with."""

    list_display = ["naming_level", "position", "group", "mode"]
    list_editable = ["group", "mode"]
    list_filter = ["naming_level"]
    ordering = ["naming_level", "position"]


@admin.register(LeaveDelegation)
class LeaveDelegationAdmin(admin.ModelAdmin):
    """Who acts for a reviewer or a leader while they are away (checked: same role, not
    themselves, no loop with others away at the same time)."""

    list_display = ["user", "delegate", "starts_on", "ends_on", "reason"]
    list_filter = ["starts_on"]
    date_hierarchy = "starts_on"


@admin.register(Campaign)
class CampaignAdmin(NoDeleteAdmin):
    list_display = [
        "title",
        "kind",
        "document_number",
        "starts_on",
        "deadline",
        "reminder_days",
        "is_active",
    ]
    list_filter = ["is_active", "kind"]
    search_fields = ["title", "document_number"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        annual.confirmations_open(obj)  # an active annual review asks about every kept account


@admin.register(DepartmentReturn)
class DepartmentReturnAdmin(ServiceStepsAdmin):
    fsm_transition_not_allowed_msg = _("“{transition_name}” is not allowed for you on this return.")
    list_display = ["department", "campaign", "state", "state_changed_at", "handed_in_at"]
    list_filter = ["state", "campaign", "department__kind"]
    list_select_related = ["department", "campaign"]
    list_per_page = 50
    search_fields = ["department__name", "department__code", "campaign__title"]
    readonly_fields = [
        "campaign",
        "department",
        "state",
        "state_changed_at",
        "stamped_form",
        "scan_uploaded_at",
        "handed_in_at",
        "handed_in_by",
        "copy_sent_at",
        "history",
    ]
    fields = readonly_fields

    @admin.display(description=DepartmentReturn._meta.get_field("scan").verbose_name)
    def stamped_form(self, obj):
        # Like the closure evidence: link to the permission-checked download, never to MEDIA_URL.
        if not obj.scan:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("approvals:return_scan", args=[obj.pk]),
            _("Download the scan"),
        )

    @admin.display(description=_("history"))
    def history(self, obj):
        return _entries_html(selectors.state_history(instance=obj))


class EmailSentFilter(admin.SimpleListFilter):
    title = _("email")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("Sent")), ("no", _("Not sent yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_sent_at__isnull=True).exclude(email_to="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "subject",
        "recipient",
        "email_to",
        "created_at",
        "read_at",
        "email_sent_at",
        "email_attempts",
        "email_error",
    ]
    list_filter = [EmailSentFilter, "created_at"]
    list_select_related = ["recipient"]
    list_per_page = 50
    search_fields = ["subject", "email_to", "recipient__username"]
    date_hierarchy = "created_at"


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "department", "milestone", "recipient", "sent_at"]
    list_filter = ["campaign", "milestone"]
    list_select_related = ["campaign", "department", "recipient", "notification"]
    list_per_page = 50
    search_fields = ["department__name", "recipient__username"]

    @admin.display(description=_("email sent at"), ordering="notification__email_sent_at")
    def sent_at(self, obj):
        return obj.notification.email_sent_at


@admin.register(OverdueDigestLog)
class OverdueDigestLogAdmin(ReadOnlyAdmin):
    list_display = ["day", "campaign", "recipient", "sent_at"]
    list_filter = ["campaign", "day"]
    list_select_related = ["campaign", "recipient", "notification"]
    list_per_page = 50
    search_fields = ["recipient__username"]

    @admin.display(description=_("email sent at"), ordering="notification__email_sent_at")
    def sent_at(self, obj):
        return obj.notification.email_sent_at


@admin.register(ManualReminderLog)
class ManualReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "department", "recipient", "sent_by", "sent_at"]
    list_filter = ["campaign", "day"]
    list_select_related = ["campaign", "department", "recipient", "sent_by", "notification"]
    list_per_page = 50
    search_fields = ["department__name", "recipient__username"]

    @admin.display(description=_("email sent at"), ordering="notification__email_sent_at")
    def sent_at(self, obj):
        return obj.notification.email_sent_at


class AccountRecordAdmin(ReadOnlyAdmin):
    """A record about an account (the models' ``AccountRecord``), listed with its department."""

    @admin.display(description=_("department"), ordering="account__department__code")
    def department(self, obj):
        return obj.account.department


@admin.register(ChangeRequest)
class ChangeRequestAdmin(AccountRecordAdmin):
    """变更备案 as the site decides them (the account page and the review queue); shown here."""

    list_display = ["account", "department", "state", "requested_by", "requested_at", "reason"]
    list_filter = ["state", "requested_at"]
    list_select_related = ["account__department", "requested_by"]
    list_per_page = 50
    search_fields = ["account__name", "account__number", "reason"]


@admin.register(AnnualConfirmation)
class AnnualConfirmationAdmin(AccountRecordAdmin):
    """年审 answers as the departments give them on the site; shown here."""

    list_display = ["account", "department", "campaign", "state", "answered_by", "state_changed_at"]
    list_filter = ["campaign", "state"]
    list_select_related = ["account__department", "campaign", "answered_by"]
    list_per_page = 50
    search_fields = ["account__name", "account__number", "account__department__name"]
