"""Give the filers (made by registry) the right to upload their groups' rosters and to mark
members removed or decide who they are; reviewers read what everyone reads."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "部门填报人": ["add_roster", "change_rostermember"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("cleanup")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        Group.objects.get(name=name).permissions.add(
            *Permission.objects.filter(content_type__app_label="cleanup", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        Group.objects.get(name=name).permissions.remove(
            *Permission.objects.filter(content_type__app_label="cleanup", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cleanup", "0001_initial"),
        ("registry", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
