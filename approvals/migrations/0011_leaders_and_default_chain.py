"""The signing leaders' role, and the default chain: accounts in the school's name need one
sign-off by any member of 审批领导 after the reviewer approves; the other naming levels none.

The role's step permissions come from the table after migrate (step_permissions_grant); here it
gets what it reads: every department's accounts, as the reviewers do.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Kept in step with registry.roles (a migration does not import application code).
LEADER_GROUP = "审批领导"


def create_leaders(apps, schema_editor):
    config = apps.get_app_config("registry")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    leaders, _created = Group.objects.get_or_create(name=LEADER_GROUP)
    leaders.permissions.add(
        *Permission.objects.filter(content_type__app_label="registry", codename="view_all_accounts")
    )
    apps.get_model("approvals", "SignOffLevel").objects.get_or_create(
        naming_level="school", position=1, defaults={"group": leaders, "mode": "any"}
    )


def remove_leaders(apps, schema_editor):
    apps.get_model("approvals", "SignOffLevel").objects.all().delete()
    apps.get_model("auth", "Group").objects.filter(name=LEADER_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0010_signoff_chains"),
        ("registry", "0002_roles"),
    ]

    operations = [migrations.RunPython(create_leaders, remove_leaders)]
