"""The docs name only what exists: every module path, file, dotted name, function and management
command written in backticks in docs/*.md and the README is checked against the tree (issue 17).

A name the docs use for something else (a setting, an environment variable, a shell command, a
value) is not one of these shapes and is not checked; `ALLOWED` lists the few that are, with why.
"""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
APPS = ("approvals", "registry", "cleanup", "audit", "robots", "api", "newmedia")
TICKED = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"(?:^|\s)(?:\S*python\S*\s+)?manage\.py\s+([a-z_]+)")
DOTTED = re.compile(rf"^(?:{'|'.join(APPS)})(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\(\)$")
PATH = re.compile(r"^[\w./-]+\.(?:py|md|html|txt|yml|yaml|json|css|js|po|mo|toml|cfg)$")
# A benchmark's results file: kept out of git (bench/results/), named by what and when.
RESULTS = re.compile(r"^(?:bench_\w+-)?[\w-]*\d{8}-\d{6}\.json$|^-\d{6}\.json$")
# Written in backticks but not in this tree, on purpose.
ALLOWED = {
    "manifest.json",  # inside a backup archive (newmedia/backups.py writes it)
}
DJANGO_DISPLAY = re.compile(r"^get_\w+_display$")  # made by Django for each choice field


def _defined_names() -> set[str]:
    """Every function and class of the tree, and the methods Django gives models and querysets
    (``get_FOO_display`` included)."""
    from django.db.models import Model, QuerySet

    names = set(dir(QuerySet)) | set(dir(Model))
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        names.update(
            re.findall(r"^\s*(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.M)
        )
    return names


def _mentions():
    for doc in DOCS:
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            for ticked in TICKED.findall(line):
                yield f"{doc.relative_to(ROOT)}:{number}", ticked.strip()


def _app_names() -> set[str]:
    """``app_label.Model`` and ``app_label.codename``: models and permissions by Django's name."""
    from django.apps import apps

    names = set()
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            names.add(f"{label}.{model.__name__}")
            names.update(f"{label}.{codename}" for codename, _ in model._meta.permissions)
            names.update(
                f"{label}.{action}_{model._meta.model_name}"
                for action in model._meta.default_permissions
            )
    return names


def _files_by_name() -> set[str]:
    return {
        path.name
        for path in ROOT.glob("**/*")
        if path.is_file() and ".venv" not in path.parts and ".git" not in path.parts
    }


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def test_the_docs_name_only_files_modules_functions_and_commands_that_exist():
    missing = problems(_mentions())
    assert not missing, "The docs name what does not exist:\n" + "\n".join(missing)


def problems(mentions) -> list[str]:
    """What each (where, backticked text) names that the tree does not have."""
    commands = set(get_commands())
    defined, app_names, file_names = _defined_names(), _app_names(), _files_by_name()
    missing = []
    for where, ticked in mentions:
        if ticked in ALLOWED:
            continue
        if command := COMMAND.search(ticked):
            if command.group(1) not in commands:
                missing.append(f"{where}: command {command.group(1)!r}")
            continue
        token = ticked.split("::")[0]  # a test, by its file
        if PATH.match(token) and "*" not in token and "<" not in token:
            if RESULTS.match(token):
                continue
            # A path from the project's root; a bare file name, somewhere in the tree.
            if not ((ROOT / token).exists() if "/" in token else token in file_names):
                missing.append(f"{where}: file {token!r}")
        elif DOTTED.match(token):
            if token not in app_names and not _resolves(token):
                missing.append(f"{where}: name {token!r}")
        elif call := CALL.match(token):
            dotted = call.group(1)
            if "." in dotted and dotted.split(".")[0] not in APPS:
                continue  # a library's (transaction.atomic())
            name = dotted.rsplit(".", 1)[-1]
            if name not in defined and not DJANGO_DISPLAY.match(name):
                missing.append(f"{where}: function {dotted!r}")
    return missing


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("`approvals/services.py`", True),
        ("`approvals/services/steps.py`", False),
        ("`approvals.services.steps.step_take`", False),
        ("`approvals.services._apply`", True),
        ("`step_take()`", False),
        ("`_apply()`", True),
        ("`python manage.py seed_demo`", False),
        ("`python manage.py no_such_command`", True),
    ],
)
def test_the_check_itself_catches_what_is_gone(text, caught):
    assert bool(problems([("x.md:1", text.strip("`"))])) == caught
