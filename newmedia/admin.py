from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .sessions import user_deactivate

User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's, except that deactivating a user also ends all of their logins at once."""

    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivating:
            user_deactivate(user=obj, by=request.user)

    @admin.action(description=_("Deactivate and log out"), permissions=["change"])
    def deactivate(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        for user in users:
            user_deactivate(user=user, by=request.user)
        message = ngettext(
            "%(count)d user deactivated and logged out everywhere.",
            "%(count)d users deactivated and logged out everywhere.",
            len(users),
        )
        self.message_user(request, message % {"count": len(users)}, messages.SUCCESS)
