"""The two roles as groups, with the registry's permissions each needs; approvals adds its own."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Kept in step with registry.roles (a migration does not import application code).
FILER_GROUP = "部门填报人"
REVIEWER_GROUP = "审核员"

ROLE_PERMISSIONS = {
    FILER_GROUP: ["add_account", "change_account"],
    REVIEWER_GROUP: ["view_all_accounts"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    config = apps.get_app_config("registry")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="registry", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
