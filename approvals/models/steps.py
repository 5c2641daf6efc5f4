"""The steps of the app's state machines, each declared once, in a table.

A :class:`Step` says everything about one step: its name and label, the states it leaves and
the one it reaches, who may take it (a role, through a permission), its guard, the form it is
taken with, the upload it carries, who is told, and whether the review queue may take it in
bulk. A :class:`Machine` is a model's table. Everything else is derived from it:

- the django-fsm-2 transitions (:meth:`Machine.transitions`, a base class of the model);
- the model's permissions (:meth:`Machine.permissions`) and the roles' grants (``migrate``
  gives each role the permissions of its steps, approvals/roles.py);
- the services' dispatch (``approvals.services.steps.step_take``) and the forms;
- the actions a page offers (``approvals.selectors.step_actions``), the bulk queue's actions,
  the admin's buttons;
- who is told (``approvals.services.notifications.step_notify``);
- the state diagram (``manage.py state_diagram``).

Adding a step is one entry in a model's table plus its guard; see docs/architecture.md.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from registry import roles

__all__ = ["Actor", "Audience", "Machine", "Route", "Step", "Upload"]

REVIEWER_ONLY = _("Only a reviewer may do this.")
FILER_ONLY = _("Only a filer of %(department)s may do this.")
SYSTEM_ONLY = _("Nobody takes this step: the system does.")
SIGNER_ONLY = _("Only a leader who has yet to sign at this level may do this: %(signers)s.")
NOT_FROM_STATE = _("“%(action)s” is not possible in the state “%(state)s”.")


class Actor(Enum):
    """Who takes a step: the role whose members hold its permission."""

    FILER = roles.FILER_GROUP  # and only for the departments they file for
    REVIEWER = roles.REVIEWER_GROUP
    # And only at the level of its sign-off chain where the record is, if they have yet to sign.
    LEADER = roles.LEADER_GROUP
    # The system itself (by=None), never a person: e.g. a chain settled after a member left.
    SYSTEM = ""

    @property
    def label(self):
        return {
            Actor.FILER: _("filer"),
            Actor.REVIEWER: _("reviewer"),
            Actor.LEADER: _("signing leader"),
            Actor.SYSTEM: _("the system"),
        }[self]


class Audience(Enum):
    """Who is told when a step is taken."""

    REVIEWERS = "reviewers"  # what now awaits them
    FILERS = "filers"  # of the record's department, its heads copied: a decision on it
    ASSIGNEE = "assignee"  # whom the task was just handed to


@dataclass(frozen=True)
class Upload:
    """A file a step carries (a form field of that name): checked by content, stored under a
    generated name in ``folder``, and handed to the step's ``change`` as its stored name."""

    field: str
    kinds: tuple[str, ...]
    max_bytes_setting: str
    folder: str
    required: Any = None  # the message when the file is missing


@dataclass(frozen=True)
class Route:
    """A target chosen once the step has changed the record: choose(instance) is one of states."""

    states: tuple[str, ...]
    choose: Callable[[Any], str]


@dataclass(frozen=True)
class Step:
    name: str
    label: Any
    sources: tuple[str, ...]
    target: "str | Route"
    # A permission of the machine's model (codename, description); steps may share one.
    permission: tuple[str, Any]
    actor: Actor
    # Why the step cannot be taken now on this record, in words; empty when it can.
    guard: Callable[[Any], list[str]] | None = None
    # The fields the step sets besides the state: change(instance, by=…, comment=…, **arguments).
    change: Callable[..., None] | None = None
    form: str = "approvals.forms.StepForm"
    # Checks the form's other arguments and returns them as the step takes them, with the
    # comment when it sets one: arguments(instance, by=…, comment=…, **arguments) (dotted path).
    arguments: str | None = None
    upload: Upload | None = None
    # The message when the comment is left empty; None: the comment is optional.
    comment_required: Any = None
    notify: Audience | None = None
    bulk: bool = False
    # Runs inside the step's transaction once it is saved: after(instance, by=…) (dotted path).
    after: str | None = None

    @property
    def codename(self) -> str:
        return self.permission[0]

    @property
    def targets(self) -> tuple[str, ...]:
        """The states the step may reach."""
        return self.target.states if isinstance(self.target, Route) else (self.target,)


@dataclass(frozen=True)
class Machine:
    """A model's state machine: its steps in the order pages offer them."""

    steps: Sequence[Step]
    # The record's department (a filer acts only on their own departments').
    department_id: Callable[[Any], int] = field(default=attrgetter("department_id"))
    app_label: str = "approvals"
    # What a step may only change if nobody else changed it since the record was read.
    version_fields: tuple[str, ...] = ("state",)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __getitem__(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(step.name == name for step in self.steps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)

    def permissions(self) -> list[tuple[str, Any]]:
        """The model's ``Meta.permissions``: each step's, once."""
        return list(dict(step.permission for step in self.steps).items())

    def grants(self) -> dict[str, set[str]]:
        """Each role (group name) and the permission codenames of its steps."""
        grants: dict[str, set[str]] = {}
        for step in self.steps:
            if step.actor is Actor.SYSTEM:
                continue
            grants.setdefault(step.actor.value, set()).add(step.codename)
        return grants

    def may(self, step: Step, instance, user) -> bool:
        """Whether the user's role lets them take the step on this record."""
        if step.actor is Actor.SYSTEM or user is None:
            return step.actor is Actor.SYSTEM and user is None
        if not user.has_perm(f"{self.app_label}.{step.codename}"):
            return False
        if step.actor is Actor.FILER:
            return roles.is_filer_of(user, self.department_id(instance))
        if step.actor is Actor.LEADER:
            return user.pk in instance.pending_signer_ids()
        return True

    def transitions(self) -> type:
        """A base class holding the django-fsm-2 transition of every step, for the model."""
        methods = {step.name: self._transition(step) for step in self.steps}
        return type("StepTransitions", (), methods)

    def _transition(self, step: Step):
        guard = step.guard
        change = step.change

        def method(instance, by=None, description=None, **arguments):
            if change is not None:
                change(instance, by=by, comment=description or "", **arguments)

        method.__name__ = step.name
        method.__doc__ = str(step.label)
        target = step.target
        if isinstance(target, Route):
            choose = target.choose
            target = GET_STATE(lambda instance, *a, **kw: choose(instance), states=target.states)
        fsm = transition(
            field="state",
            source=list(step.sources),
            target=target,
            permission=lambda instance, user: self.may(step, instance, user),
            conditions=[lambda instance: not guard(instance)] if guard else [],
            custom={"label": step.label, "form": step.form},
        )
        # django-fsm-log records ``by`` only when fsm_log_by wraps the transition, not under it.
        return fsm_log_by(fsm_log_description(fsm(method)))

    # What the services and the pages ask of a step on a record.

    def permission_problem(self, instance, name: str, user) -> str | None:
        """Why the user's role may not take this step on this record, or None."""
        step = self[name]
        if self.may(step, instance, user):
            return None
        if step.actor is Actor.REVIEWER:
            return str(REVIEWER_ONLY)
        if step.actor is Actor.LEADER:
            return SIGNER_ONLY % {"signers": instance.pending_signers_text()}
        if step.actor is Actor.SYSTEM:
            return str(SYSTEM_ONLY)
        return FILER_ONLY % {"department": instance.owning_department().name}

    def leaves_state(self, instance, name: str) -> bool:
        """Whether the step starts from the record's current state."""
        return instance.state in self[name].sources

    def problems(self, instance, name: str) -> list[str]:
        """Why the step cannot be taken now (state or guard), in words; empty when it can."""
        step = self[name]
        if not self.leaves_state(instance, name):
            return [
                NOT_FROM_STATE % {"action": str(step.label), "state": instance.get_state_display()}
            ]
        return step.guard(instance) if step.guard else []

    def offered(self, instance, user) -> list[Step]:
        """The steps the user's role may take from the record's state, in the table's order."""
        return [
            step
            for step in self.steps
            if self.leaves_state(instance, step.name) and self.may(step, instance, user)
        ]
