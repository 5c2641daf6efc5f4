"""Reviewers see and lift login lockouts on the site; unlocks and deactivations are audited."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

REVIEWER_GROUP = "审核员"
# axes' AccessAttempt: see the locked logins, and delete their attempt rows to unlock them.
CODENAMES = ["view_accessattempt", "delete_accessattempt"]


def _permissions(apps):
    config = apps.get_app_config("axes")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="axes", codename__in=CODENAMES)


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.get(name=REVIEWER_GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.get(name=REVIEWER_GROUP)
    group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_reviewers_read_the_trail"),
        ("registry", "0002_roles"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "Logged in"),
                    ("login_failed", "Login failed"),
                    ("locked_out", "Locked out"),
                    ("logout", "Logged out"),
                    ("access_denied", "Access denied"),
                    ("personal_data_viewed", "Personal data viewed"),
                    ("personal_data_exported", "Personal data exported"),
                    ("imported", "Spreadsheet imported"),
                    ("transition", "State changed"),
                    ("unlocked", "Login unlocked"),
                    ("user_deactivated", "User deactivated"),
                ],
                db_index=True,
                max_length=32,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
