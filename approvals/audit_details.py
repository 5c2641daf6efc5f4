"""How the audit trail shows this app's rows: a step as its label and its states' labels
("submit: draft → submitted" reads 提交审核：草稿 → 已提交), whatever machine it belongs to."""

import re

from django.apps import apps

from audit.details import detail_renderer
from audit.models import AuditEvent

STEP = re.compile(r"^(?P<name>\w+): (?P<source>\w+) → (?P<target>\w+)$")


def _machines():
    return [m for m in apps.get_app_config("approvals").get_models() if hasattr(m, "machine")]


@detail_renderer(AuditEvent.Action.TRANSITION)
def step_shown(detail: str) -> str | None:
    match = STEP.match(detail)
    if not match:
        return None
    for model in _machines():
        if match["name"] in model.machine:
            states = dict(model.State.choices)
            return "{label}：{source} → {target}".format(
                label=model.machine[match["name"]].label,
                source=states.get(match["source"], match["source"]),
                target=states.get(match["target"], match["target"]),
            )
    return None
