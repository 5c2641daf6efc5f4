from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .django_zh import PasswordChangeForm, permission_label
from .sessions import user_deactivate

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)


class PermissionNamesMixin:
    """Permissions listed in the reader's language: the database keeps Django's English names
    (newmedia.django_zh.permission_label)."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


@admin.register(Group)
class GroupAdmin(PermissionNamesMixin, DjangoGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(PermissionNamesMixin, DjangoUserAdmin):
    """Django's, except that deactivating a user also ends all of their logins at once."""

    actions = ["deactivate"]
    change_password_form = PasswordChangeForm

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
