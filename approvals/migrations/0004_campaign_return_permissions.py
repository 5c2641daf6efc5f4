"""Give the roles their campaign and return permissions: filers hand in, reviewers judge and
run the campaigns."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "部门填报人": ["hand_in_return"],
    "审核员": ["review_return", "add_campaign", "change_campaign", "view_campaign"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("approvals")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        Group.objects.get(name=name).permissions.add(
            *Permission.objects.filter(content_type__app_label="approvals", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        Group.objects.get(name=name).permissions.remove(
            *Permission.objects.filter(content_type__app_label="approvals", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_campaign_returns_reminders"),
        ("registry", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
