"""The state_diagram command: every transition of the model, and the docs page kept in step."""

import re
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from approvals.management.commands.state_diagram import DOCS_PAGE, LANGUAGE
from approvals.models import Filing
from approvals.models.steps import Actor

EDGE = re.compile(r"^ {4}(\w+) --> (\w+) : (\w+) \((.+) · (.+)\)$")
STATE = re.compile(r"^ {4}(\w+) : (.+)$")
MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def diagram(*args) -> str:
    out = StringIO()
    call_command("state_diagram", *args, stdout=out)
    return out.getvalue()


def edges(text: str) -> list[tuple[str, ...]]:
    return [m.groups() for line in text.splitlines() if (m := EDGE.match(line))]


def model_edges() -> set[tuple[str, str, str]]:
    transitions = Filing._meta.get_field("state").get_all_transitions(Filing)
    return {
        (str(t.source), str(target), t.name)
        for t in transitions
        # A step whose target is chosen when it is taken (GET_STATE) reaches any of its states.
        for target in getattr(t.target, "allowed_states", None) or [t.target]
    }


def test_it_starts_as_a_mermaid_state_diagram_from_the_initial_state():
    lines = diagram().splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert lines[1] == f"    [*] --> {Filing.State.DRAFT}"


def test_it_lists_every_transition_of_the_model_with_its_source_and_target():
    drawn = edges(diagram())
    assert {(source, target, name) for source, target, name, _label, _who in drawn} == (
        model_edges()
    )
    assert len(drawn) == len(model_edges())  # each edge once


def test_it_draws_the_design_table():
    drawn = {(source, target, name) for source, target, name, _label, _who in edges(diagram())}
    assert ("submitted", "approved", "approve") in drawn
    assert ("submitted", "registered", "register") in drawn
    assert ("submitted", "returned", "return_for_revision") in drawn
    assert ("draft", "submitted", "submit") in drawn
    assert ("returned", "submitted", "submit") in drawn
    assert ("approved", "closing", "request_closure") in drawn
    assert ("registered", "closing", "order_closure") in drawn
    assert ("closing", "closed", "confirm_closed") in drawn
    assert not [edge for edge in drawn if edge[0] == "closed"]
    assert "    closed --> [*]" in diagram().splitlines()


def test_it_labels_each_edge_with_the_translated_action_and_who_takes_it():
    drawn = edges(diagram())
    with translation.override(LANGUAGE):
        for _source, _target, name, label, who in drawn:
            assert label == str(Filing.machine[name].label)
            assert who == str(Filing.machine[name].actor.label)
        reviewer, filer = str(Actor.REVIEWER.label), str(Actor.FILER.label)
    whos = {name: who for _source, _target, name, _label, who in drawn}
    assert whos["approve"] == reviewer
    assert whos["confirm_closed"] == reviewer
    assert whos["submit"] == filer
    assert whos["request_closure"] == filer


def test_it_names_every_state_with_its_label():
    text = diagram()
    named = dict(m.groups() for line in text.splitlines() if (m := STATE.match(line)))
    with translation.override(LANGUAGE):
        assert named == {state.value: str(state.label) for state in Filing.State}


def test_it_renders_the_same_whatever_language_is_active():
    with translation.override("en"):
        english_caller = diagram()
    assert english_caller == diagram()


def test_it_prints_the_same_diagram_every_time():
    assert diagram() == diagram()


def test_it_keeps_the_docs_page_equal_to_the_current_output():
    page = (settings.BASE_DIR / DOCS_PAGE).read_text(encoding="utf-8")
    blocks = MERMAID_BLOCK.findall(page)
    assert blocks == [diagram()], f"{DOCS_PAGE} is stale: regenerate it (see its first comment)."
    assert page == diagram("--markdown")
