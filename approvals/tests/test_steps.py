"""The tables of steps (approvals/models/steps.py) are the one declaration of each state
machine: the FSM transitions, the models' permissions, the roles' grants, the bulk queue's
actions and the admin's buttons all follow from them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from approvals.admin import DepartmentReturnAdmin, FilingAdmin
from approvals.forms import BulkReviewForm
from approvals.models import DepartmentReturn, Filing
from approvals.models.steps import Actor

MACHINES = [Filing, DepartmentReturn]


@pytest.mark.parametrize("model", MACHINES)
def test_the_fsm_transitions_are_the_tables(model):
    transitions = model._meta.get_field("state").get_all_transitions(model)
    fsm = {
        (t.name, str(t.source), str(target))
        for t in transitions
        for target in getattr(t.target, "allowed_states", None) or [t.target]
    }
    assert fsm == {
        (step.name, str(source), str(target))
        for step in model.machine
        for source in step.sources
        for target in step.targets
    }


@pytest.mark.parametrize("model", MACHINES)
def test_the_models_permissions_are_the_tables(model):
    assert {codename for codename, _label in model._meta.permissions} == {
        step.codename for step in model.machine
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", MACHINES)
def test_migrate_gives_each_role_the_permissions_of_its_steps(model):
    for role, codenames in model.machine.grants().items():
        Group.objects.get(name=role).permissions.remove(
            *Permission.objects.filter(codename__in=codenames)
        )
    call_command("migrate", verbosity=0)
    grants = model.machine.grants()
    for step in model.machine:
        if step.actor is Actor.SYSTEM:  # nobody holds it: no role is given its permission
            assert not any(step.codename in codes for role, codes in grants.items() if not role)
            continue
        granted = Group.objects.get(name=step.actor.value).permissions
        assert granted.filter(codename=step.codename).exists(), step.name
    for role in (Actor.FILER, Actor.REVIEWER, Actor.LEADER):
        held = set(
            Group.objects.get(name=role.value)
            .permissions.filter(content_type__app_label="approvals")
            .values_list("codename", flat=True)
        )
        steps = {step.codename for step in model.machine}
        assert held & steps == grants.get(role.value, set()), role


def test_the_bulk_queue_offers_the_steps_marked_bulk():
    assert [name for name, _label in BulkReviewForm.ACTIONS] == [
        "return_for_revision",
        "hand_over",
        "approve",
        "register",
    ]


@pytest.mark.parametrize(
    ("admin_class", "model", "site_only"),
    [
        (FilingAdmin, Filing, {"report_closed"}),
        (DepartmentReturnAdmin, DepartmentReturn, {"upload_scan"}),
    ],
)
def test_the_admin_takes_every_step_but_those_with_an_upload(admin_class, model, site_only):
    from django.contrib.admin.sites import site

    admin = admin_class(model, site)
    assert admin.admin_steps() == set(model.machine.names) - site_only
