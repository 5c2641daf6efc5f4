"""docker-compose.yml, the Dockerfile and .env.example agree with the code they run.

No Docker engine is needed: the files are read as data, and every module, command, setting and
volume they name is looked up in this checkout, so a rename in the code fails here instead of in
a container at three in the morning.
"""

import importlib
import importlib.util
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from newmedia.tests.brokers import closed_port, publishing_to

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    """The variables of .env.example, as docker compose reads them."""
    variables = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _shell_steps(service: dict) -> list[list[str]]:
    """The commands a service runs, `sh -c "a && b"` split into its steps."""
    command = _command(service)
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(step) for step in command[2].split("&&")]
    return [command]


def _dockerfile() -> str:
    return (BASE_DIR / "Dockerfile").read_text()


def test_every_service_has_an_image_and_the_app_ones_a_command(services):
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["command"], name


def test_the_web_command_migrates_then_serves_the_wsgi_application(services):
    migrate, serve = _shell_steps(services["web"])
    assert migrate[:3] == ["python", "manage.py", "migrate"] and "--noinput" in migrate
    assert serve[:3] == ["exec", "gunicorn", "newmedia.wsgi"]
    module = importlib.import_module(serve[2].partition(":")[0])
    assert callable(module.application)  # gunicorn's default name for the app
    assert "--workers" in serve and serve[serve.index("--workers") + 1] == "${WEB_CONCURRENCY:-3}"


def test_gunicorn_says_its_timeout_and_the_bulk_review_ends_well_before_it(services, settings):
    """Item 1 of issue 14: the worker timeout is set, not left to gunicorn's default, and a bulk
    action stops taking rows (NEWMEDIA_BULK_SECONDS) well before it."""
    _migrate, serve = _shell_steps(services["web"])
    assert serve[serve.index("--timeout") + 1] == "${WEB_TIMEOUT:-30}"
    assert settings.NEWMEDIA_BULK_SECONDS < 30


def test_gunicorn_writes_its_access_log_with_the_request_id(services):
    """Item 13 of issue 14: the access log, to the container's output, names each request."""
    _migrate, serve = _shell_steps(services["web"])
    assert serve[serve.index("--access-logfile") + 1] == "-"
    log_format = serve[serve.index("--access-logformat") + 1]
    assert "%({x-request-id}o)s" in log_format and "%(s)s" in log_format


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_the_celery_commands_find_the_projects_app(services, service, subcommand):
    from celery.app.utils import find_app

    from newmedia.celery import app

    command = _command(services[service])
    assert command[:2] == ["celery", "-A"] and command[3] == subcommand
    assert find_app(command[2]) is app


def test_the_beat_keeps_its_schedule_on_a_volume(services, compose):
    command = _command(services["beat"])
    schedule = Path(command[command.index("--schedule") + 1])
    mounts = dict(reversed(volume.split(":")) for volume in services["beat"]["volumes"])
    assert str(schedule.parent) in mounts and mounts[str(schedule.parent)] in compose["volumes"]


def test_the_settings_module_exists(services):
    for name in APP_SERVICES:
        module = services[name]["environment"]["DJANGO_SETTINGS_MODULE"]
        assert importlib.util.find_spec(module) is not None, module
    assert "DJANGO_SETTINGS_MODULE=newmedia.settings.base" in _dockerfile()


def test_every_management_command_used_exists(services):
    used = set()
    for name in APP_SERVICES:
        for step in _shell_steps(services[name]):
            if "manage.py" in step:
                used.add(step[step.index("manage.py") + 1])
    used |= set(re.findall(r"manage\.py (\w+)", _dockerfile()))
    assert used >= {"migrate", "collectstatic"}
    assert used <= set(get_commands()), used - set(get_commands())


def test_every_long_running_service_has_a_health_check(services):
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    # Readiness, not liveness: the site is unhealthy while its database or broker is away.
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_services_start_once_what_they_need_is_healthy(services):
    for name in APP_SERVICES:
        for needed, condition in services[name]["depends_on"].items():
            assert condition == {"condition": "service_healthy"}, (name, needed)
            assert "healthcheck" in services[needed], needed
    for name in ("web", "worker"):
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    assert "redis" in services["beat"]["depends_on"]


def test_data_lives_on_declared_volumes_and_the_uploads_are_shared(services, compose, env_example):
    declared = set(compose["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared, (name, volume)
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    media = Path(env_example["MEDIA_ROOT"])
    for name in ("web", "worker"):
        mounted = [Path(v.split(":")[1]) for v in services[name]["volumes"]]
        assert any(media.is_relative_to(path) for path in mounted), name
    assert services["web"]["volumes"] == services["worker"]["volumes"]


def test_every_variable_of_the_example_is_read_by_the_settings_or_the_compose_file(
    env_example,
):
    settings_source = (BASE_DIR / "newmedia" / "settings" / "base.py").read_text()
    read_by_settings = set(re.findall(r"env_\w+\(\s*\"([A-Z0-9_]+)\"", settings_source))
    compose_source = (BASE_DIR / "docker-compose.yml").read_text()
    read_by_compose = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", compose_source))
    unread = set(env_example) - read_by_settings - read_by_compose
    assert not unread, f"nothing reads {sorted(unread)}: remove them or read them"
    assert read_by_compose <= set(env_example), "the compose file needs these in .env.example"
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"} <= set(env_example)


def test_the_example_points_at_the_compose_services(env_example):
    database = urlsplit(env_example["DATABASE_URL"])
    assert (database.hostname, database.port, database.path) == ("postgres", 5432, "/newmedia")
    assert (database.username, database.password) == ("newmedia", env_example["POSTGRES_PASSWORD"])
    assert urlsplit(env_example["CELERY_BROKER_URL"]).hostname == "redis"


def test_the_example_passes_the_deployment_checks_once_its_secret_is_set(env_example):
    environment = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")},
        **env_example,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "sqlite://:memory:",  # the checks do not connect; no "postgres" host here
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_installs_the_pins_and_gathers_static_files_with_a_throwaway_key():
    dockerfile = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile
    assert re.search(r"SECRET_KEY=\S+ .*\n?.*manage\.py collectstatic --noinput", dockerfile)
    assert "STATIC_ROOT=" in dockerfile
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)  # no secrets or local data inside


def _health_check(services, live_server) -> subprocess.CompletedProcess:
    """The web service's check script, run against the live server as the proxy's host."""
    script = services["web"]["healthcheck"]["test"][-1]
    port = urlsplit(live_server.url).port
    assert '"127.0.0.1", 8000' in script
    return subprocess.run(
        [sys.executable, "-c", script.replace('"127.0.0.1", 8000', f'"127.0.0.1", {port}')],
        env={"PATH": os.environ["PATH"], "ALLOWED_HOSTS": "newmedia.example.edu.cn"},
        capture_output=True,
        text=True,
        timeout=30,
    )


# The live server needs a transactional database; serialized_rollback brings back what the
# migrations made (content types, groups) for the transactional tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_web_health_check_passes_behind_the_https_proxy(services, live_server, settings):
    """The check's own script, against a server with the production proxy settings."""
    settings.ALLOWED_HOSTS = ["newmedia.example.edu.cn"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    result = _health_check(services, live_server)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_web_health_check_fails_while_the_broker_is_down(services, live_server, settings):
    """Item 12 of issue 14: the check asked /healthz, which said "ok" with Redis gone."""
    settings.ALLOWED_HOSTS = ["newmedia.example.edu.cn"]
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0"):
        result = _health_check(services, live_server)
    assert result.returncode == 1, result.stderr


def test_the_database_plans_for_ssd_storage(services):
    """With the default random_page_cost, PostgreSQL scans every open finding for each row of the
    command centre instead of reading a department's few (docs/performance.md)."""
    assert _command(services["postgres"])[1:] == ["-c", "random_page_cost=1.1"]
