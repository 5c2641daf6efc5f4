"""Group robots through a real broker: two Celery workers, Redis, PostgreSQL and the local
webhook server. Runs in CI's PostgreSQL pass, as the other worker tests do (their fixtures and
helpers are approvals/tests/test_celery_worker.py's)."""

import pytest

from approvals.tasks import sweep_reminders
from approvals.tests import test_celery_worker as worker_tests
from registry.tests.factories import DepartmentFactory
from robots.models import Robot, RobotMessage
from robots.tasks import send_robot_message

from .robot_server import RobotServer

DAY, _campaign, _filer = worker_tests.DAY, worker_tests._campaign, worker_tests._filer
broker, site = worker_tests.broker, worker_tests.site  # the fixtures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def robot_server():
    server = RobotServer().start()
    yield server
    server.stop()


def test_robot_messages_go_through_the_broker_retried_with_back_off_and_posted_once(
    site, robot_server
):
    environment = {"NEWMEDIA_ROBOT_EXTRA_ORIGINS": robot_server.origin}
    workers = [site.start_worker(name, **environment) for name in ("one", "two")]
    _campaign()
    for n in range(3):
        department = DepartmentFactory(name=f"学院{n}")
        _filer(department, f"filer{n}")
        Robot.objects.create(
            name=f"学院{n}群",
            platform="wecom",
            department=department,
            webhook_url=robot_server.wecom_url,
        )
    # The first answers: a server error, the platform's "too fast", another server error.
    robot_server.answers.extend([("http", 500), ("errcode", 45009), ("http", 503)])
    for worker in workers:
        worker.wait_ready()
    sweep_reminders.delay(DAY.isoformat())
    site.wait_for(
        lambda: RobotMessage.objects.filter(sent_at__isnull=False).count() == 3,
        "three robot messages posted",
        timeout=60,
    )
    # Delivered again (a redelivery, a second flush): nothing is posted twice.
    for pk in RobotMessage.objects.values_list("pk", flat=True):
        send_robot_message.delay(pk)
    site.wait_for(site.broker.idle, "an empty broker")
    texts = robot_server.texts("wecom")
    assert sorted(t.split("\n")[0] for t in texts) == sorted(
        f"### 学院{n}：距新媒体登记表报送截止还有 7 天" for n in range(3)
    )
    assert len(robot_server.refused) == 3
    logs = "".join(w.output() for w in workers)
    assert " retry: Retry in " in logs
    assert robot_server.wecom_url.split("key=")[1] not in logs  # the key is never logged
