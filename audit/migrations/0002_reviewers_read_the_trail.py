"""Reviewers read the audit trail on the site; nobody gets to change it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_GROUP = "审核员"


def grant(apps, schema_editor):
    config = apps.get_app_config("audit")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Permission = apps.get_model("auth", "Permission")
    apps.get_model("auth", "Group").objects.get(name=REVIEWER_GROUP).permissions.add(
        Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    apps.get_model("auth", "Group").objects.get(name=REVIEWER_GROUP).permissions.remove(
        Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("registry", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
