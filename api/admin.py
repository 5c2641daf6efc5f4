from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from audit.services import audit_record

from .models import ApiToken

KEY_ONCE = _(
    "The token's key, shown this once: %(key)s. Copy it now into the program that uses it; "
    "it cannot be shown again."
)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made here and revoked here; the key is shown once, when it is made."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "status"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["prefix"]
        return ["user", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the trail keeps naming it

    @admin.display(description=_("status"))
    def status(self, obj):
        return _("Revoked") if obj.revoked_at else _("In use")

    def save_model(self, request, obj, form, change):
        if change:
            return
        key = obj.new_key()
        obj.created_by = request.user
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=AuditEvent.Action.API_TOKEN_CREATED,
                user=request.user,
                obj=obj,
                detail=f"for {obj.user.get_username()}",
            )
        self.message_user(request, KEY_ONCE % {"key": key}, messages.WARNING)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        now = timezone.now()
        with transaction.atomic():
            tokens = list(queryset.filter(revoked_at__isnull=True).select_for_update())
            for token in tokens:
                token.revoked_at = now
                token.save(update_fields=["revoked_at"])
                audit_record(
                    action=AuditEvent.Action.API_TOKEN_REVOKED,
                    user=request.user,
                    obj=token,
                    detail=f"for {token.user.get_username()}",
                )
        self.message_user(
            request,
            ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )
