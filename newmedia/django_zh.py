"""Where Django and the libraries leave the admin in English, and how it is put right.

- Words that Django 5.2 and django-import-export added and that their zh_Hans catalogues lack.
  They are marked here, so makemessages puts them into our catalogue. gettext finds a msgid in
  any catalogue, so ours translates them wherever Django shows them.
- The admin's password page warns in a plain string: ``PasswordChangeForm`` below.
- The boolean icons' text: Django writes alt="True" / "False".
- django-fsm-log's and django-cas-ng's headings and model names, which they do not mark for
  translation: marked here, and looked up where a permission is named.
- The names Django gives the tables behind many-to-many fields ("Group-permission
  relationship", "User_groups object (3)"), shown when a group or user is deleted.
- Permission names, which the database keeps in English as migrations wrote them.
"""

from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

DJANGO_WORDS = (
    # django/contrib/admin/templates/admin/app_list.html: the index's column headings.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django/contrib/admin/templates/admin/auth/user/add_form.html
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # import_export/templates/admin/import_export/export.html
    gettext_noop("Select all"),
    # django_fsm_log: the app and its model, named in plain strings.
    gettext_noop("Django FSM Log"),
    gettext_noop("state log"),
    # django_cas_ng: the app and its models, named in plain strings.
    gettext_noop("Django_Cas_Ng"),
    gettext_noop("proxy granting ticket"),
    gettext_noop("session ticket"),
)

# Permission names as Django writes them for every model (django/contrib/auth/management).
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """A permission as the group and user pages list it: app | model | what it allows, all in
    the reader's language."""
    model = permission.content_type.model_class()
    if model is None:  # a model since removed
        return str(permission)
    verbose_name = gettext(str(model._meta.verbose_name))
    action, _sep, model_name = permission.codename.partition("_")
    if action in DEFAULT_PERMISSIONS and model_name == model._meta.model_name:
        name = DEFAULT_PERMISSIONS[action] % {"model": verbose_name}
    else:
        name = gettext(permission.name)
    return f"{gettext(str(model._meta.app_config.verbose_name))} | {verbose_name} | {name}"


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's, with the warning it writes in plain English translated."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


def boolean_icon(value):
    """Django's yes/no/unknown icon, its text in the reader's language."""
    from django.templatetags.static import static

    icon = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


def install() -> None:
    """Put the names and the icons right (from NewmediaConfig.ready)."""
    from django.contrib.admin.templatetags import admin_list
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    # Every caller imports it from admin_list when it draws an icon.
    admin_list._boolean_icon = boolean_icon
    user = get_user_model()
    for through, name, plural, shown in (
        (
            Group.permissions.through,
            _("permission of a group"),
            _("permissions of groups"),
            lambda row: f"{row.group} | {permission_label(row.permission)}",
        ),
        (
            user.groups.through,
            _("group of a user"),
            _("groups of users"),
            lambda row: f"{row.user} | {row.group}",
        ),
        (
            user.user_permissions.through,
            _("permission of a user"),
            _("permissions of users"),
            lambda row: f"{row.user} | {permission_label(row.permission)}",
        ),
    ):
        through._meta.verbose_name, through._meta.verbose_name_plural = name, plural
        through.__str__ = shown
