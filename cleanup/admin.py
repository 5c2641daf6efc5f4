"""The admin shows rosters and findings; they are written only by the services (uploads on the
site, the evaluation), so the admin neither adds, changes nor deletes them."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from newmedia.admins import ReadOnlyAdmin

from .models import Finding, Roster
from .rules import RULE_CHOICES
from .selectors import account_findings


def findings_html(account_id: int | None):
    """An account's open findings, blocking ones marked, for the admin's account and filing
    pages."""
    findings = account_findings(account_id=account_id) if account_id else []
    if not findings:
        return "—"
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            '<li><strong style="color:{}">{} · {}</strong><br>{}</li>',
            (
                (
                    "#b02a37" if f.is_blocking else "#997404",
                    f.get_severity_display(),
                    f.rule_title,
                    f.explanation,
                )
                for f in findings
            ),
        ),
    )


class RuleFilter(admin.SimpleListFilter):
    title = _("check")
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return RULE_CHOICES

    def queryset(self, request, queryset):
        return queryset.filter(rule=self.value()) if self.value() else queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["account", "department", "title", "severity", "opened_at", "resolved_at"]
    list_filter = [OpenFilter, "severity", RuleFilter, "account__department"]
    list_select_related = ["account__department"]
    list_per_page = 50
    search_fields = ["account__name", "account__number"]
    fields = ["account", "title", "severity", "text", "suggestion", "opened_at", "resolved_at"]
    readonly_fields = fields

    @admin.display(description=_("department"), ordering="account__department")
    def department(self, obj):
        return obj.account.department

    @admin.display(description=_("check"), ordering="rule")
    def title(self, obj):
        return f"{obj.notice_rule} {obj.rule_title}"

    @admin.display(description=_("explanation"))
    def text(self, obj):
        return obj.explanation


@admin.register(Roster)
class RosterAdmin(ReadOnlyAdmin):
    list_display = ["account", "uploaded_at", "uploaded_by", "member_count", "is_current"]
    list_filter = ["is_current", "account__department"]
    list_select_related = ["account", "uploaded_by"]
    list_per_page = 50
    search_fields = ["account__name", "account__number", "file_name"]
    fields = [
        "account",
        "is_current",
        "file_name",
        "group_number",
        "member_count",
        "uploaded_by",
        "uploaded_at",
        "replaced_at",
    ]
    readonly_fields = fields
