"""The two roles as groups, with the permissions each role's transitions need."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FILER_GROUP = "部门填报人"
REVIEWER_GROUP = "审核员"

ROLE_PERMISSIONS = {
    FILER_GROUP: [
        ("registry", "add_account"),
        ("registry", "change_account"),
        ("approvals", "submit_filing"),
        ("approvals", "request_closure_filing"),
        ("approvals", "report_closed_filing"),
    ],
    REVIEWER_GROUP: [
        ("registry", "view_all_accounts"),
        ("approvals", "return_filing"),
        ("approvals", "approve_filing"),
        ("approvals", "register_filing"),
        ("approvals", "order_closure_filing"),
        ("approvals", "confirm_closed_filing"),
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for label in ("registry", "approvals"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, codename in permissions:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("registry", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
