"""Posting to group robots: a Markdown message per robot and event, written in the event's own
transaction, posted afterwards by a task, once.

The message is the event's notification, told as Markdown (the same templates as the e-mail, so
nothing is written twice). ``robots_post`` writes one ``RobotMessage`` per active robot of the
group, unique per robot and event, so a rerun sweep or a second worker adds none. Posting claims
the row under a lock on the robot, where the rate limit is counted (NEWMEDIA_ROBOT_PER_MINUTE in
any minute, the platforms' 20); a redelivered task finds the row claimed or sent and posts
nothing. A failed post (HTTP error, the platform's errcode, the network) releases the claim, is
recorded on the message and the robot, and raises, so that the task retries with backoff; what
the retries do not deliver the outbox flush queues again. The robot's key is never logged: the
errors kept are our own words, never the library's (which quote the address).
"""

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newmedia.dbretry import db_retrying
from newmedia.publishing import owed_flush, owed_unqueuer, publish_on_commit

from .models import Robot, RobotMessage
from .platforms import url_problem

logger = logging.getLogger(__name__)

OPEN_LINK = gettext_lazy("Open it")
WINDOW = timedelta(seconds=60)


class RobotBusy(Exception):
    """The robot had its NEWMEDIA_ROBOT_PER_MINUTE messages this minute: try after ``wait``."""

    def __init__(self, wait: float):
        super().__init__(f"rate limit, retry in {wait:.0f} s")
        self.wait = wait


class RobotFailed(Exception):
    """The post failed; the message is owed again and the task retries."""


def message_markdown(*, subject: str, text: str, link: str) -> str:
    """A message as Markdown: a heading, the text's paragraphs (a list kept together), a link."""
    paragraphs: list[str] = []
    for line in text.splitlines():
        if line.startswith("- ") and paragraphs and paragraphs[-1].startswith("- "):
            paragraphs[-1] += "\n" + line
        elif line.strip():
            paragraphs.append(line if line.startswith("- ") else line.strip())
    markdown = "\n\n".join([f"### {subject}", *paragraphs])
    if link:
        markdown += f"\n\n[{OPEN_LINK}]({link})"
    return markdown


def robot_message(*, robot: Robot, event: str, subject: str, text: str, link: str = ""):
    """An unsaved message for ``robots_post``: the event's subject, text and link as Markdown."""
    return RobotMessage(
        robot=robot,
        event=event,
        title=subject[:200],
        text=message_markdown(subject=subject, text=text, link=link),
    )


def robots_post(messages: Iterable[RobotMessage]) -> int:
    """Save the messages not saved before (one per robot and event), to be posted once the
    current transaction commits; a fixed number of queries however many. Returns how many
    were new."""
    rows = list(messages)
    if not rows:
        return 0
    told = set(
        RobotMessage.objects.filter(
            event__in={m.event for m in rows}, robot__in={m.robot_id for m in rows}
        ).values_list("robot_id", "event")
    )
    now = timezone.now()
    rows = [m for m in rows if (m.robot_id, m.event) not in told]
    for message in rows:
        message.queued_at = now
    if not rows:
        return 0
    try:
        with transaction.atomic():
            created = RobotMessage.objects.bulk_create(rows)
    except IntegrityError:  # another run wrote these events' messages meanwhile
        return 0
    publish_on_commit(_send_calls([m.pk for m in created]), missed=_unqueue)
    return len(created)


def _send_calls(ids) -> list[tuple]:
    from .tasks import send_robot_message

    return [(send_robot_message, (pk,)) for pk in ids]


# The broker did not take these: the next flush queues them at once.
_unqueue = owed_unqueuer(RobotMessage, mark="queued_at", sent="sent_at")


def robot_messages_flush(*, batch: int = 500) -> int:
    """Queue every owed message (unsent, not queued recently), a batch at a time."""
    return owed_flush(
        RobotMessage.objects.owed(),
        mark="queued_at",
        calls_for=_send_calls,
        missed=_unqueue,
        batch=batch,
    )


def _claim(message_id: int) -> RobotMessage | None:
    """Take the message for this worker, if it is unsent and nobody holds it, and the robot has
    room this minute (else ``RobotBusy``). Counted under a lock on the robot's row."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NEWMEDIA_OUTBOX_REQUEUE_SECONDS)
    free = Q(sent_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
    with transaction.atomic():
        message = RobotMessage.objects.filter(free, pk=message_id).first()
        if message is None:
            return None
        robot = Robot.objects.select_for_update().get(pk=message.robot_id)
        if not robot.is_active:
            return None
        recent = list(
            RobotMessage.objects.filter(robot=robot, attempted_at__gt=now - WINDOW)
            .order_by("-attempted_at")
            .values_list("attempted_at", flat=True)[: settings.NEWMEDIA_ROBOT_PER_MINUTE]
        )
        if len(recent) >= settings.NEWMEDIA_ROBOT_PER_MINUTE:
            raise RobotBusy(max(1.0, (recent[-1] + WINDOW - now).total_seconds()))
        claimed = RobotMessage.objects.filter(free, pk=message_id).update(
            claimed_at=now, queued_at=now, attempted_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            return None
    message.robot = robot
    return message


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook never redirects: a redirect is an error, never followed elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(robot: Robot, message: RobotMessage) -> tuple[str, bool]:
    """Post the message; ("", False) when the platform took it, else (why, rate-limited)."""
    spec = robot.spec
    if url_problem(spec, robot.webhook_url):
        return _("The webhook address is not one the platform uses."), False
    url = spec.url_to_post(robot.webhook_url, secret=robot.secret, now_ms=int(time.time() * 1000))
    body = json.dumps(spec.payload(title=message.title, text=message.text), ensure_ascii=False)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=settings.NEWMEDIA_ROBOT_TIMEOUT) as response:
            answer = json.loads(response.read(65536) or b"{}")
    except urllib.error.HTTPError as exc:
        return _("The platform answered HTTP %(status)s.") % {"status": exc.code}, False
    except (urllib.error.URLError, OSError) as exc:  # never str(exc): it may quote the address
        cause = getattr(exc, "reason", exc)
        kind = type(cause if isinstance(cause, BaseException) else exc).__name__
        return _("The platform could not be reached (%(kind)s).") % {"kind": kind}, False
    except ValueError:
        return _("The platform's answer was not JSON."), False
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code == 0:
        return "", False
    reason = str(answer.get("errmsg", "") if isinstance(answer, dict) else "")[:150]
    error = _("The platform refused it: errcode %(code)s, %(reason)s") % {
        "code": code,
        "reason": reason,
    }
    return error, code in spec.rate_limited


def robot_message_send(*, message_id: int) -> bool:
    """Post one message unless it is sent or being sent; True if this call posted it.

    Raises ``RobotBusy`` when the robot is at its rate limit (nothing was tried) and
    ``RobotFailed`` when the post failed (the claim released, the error recorded)."""
    message = db_retrying(lambda: _claim(message_id))
    if message is None:
        return False
    robot = message.robot
    error, rate_limited = _post(robot, message)
    now = timezone.now()
    if not error:
        db_retrying(
            lambda: RobotMessage.objects.filter(pk=message_id).update(
                sent_at=now, claimed_at=None, error=""
            )
        )
        db_retrying(
            lambda: Robot.objects.filter(pk=robot.pk).update(
                last_sent_at=now, failing_since=None, last_error=""
            )
        )
        return True
    db_retrying(
        lambda: RobotMessage.objects.filter(pk=message_id).update(claimed_at=None, error=error)
    )
    if not rate_limited:  # the platform's "too fast" is not the robot failing
        db_retrying(
            lambda: Robot.objects.filter(pk=robot.pk).update(
                failing_since=Coalesce(F("failing_since"), now), last_error=error
            )
        )
    logger.warning("Robot %s (id %d): message %d not sent: %s", robot, robot.pk, message_id, error)
    raise RobotFailed(error)


def robots_failing() -> list[Robot]:
    """Active robots whose last post failed, each with ``waiting``: its messages not sent."""
    return list(
        Robot.objects.filter(is_active=True, failing_since__isnull=False)
        .select_related("department")
        .annotate(waiting=Count("messages", filter=Q(messages__sent_at__isnull=True)))
        .order_by("failing_since", "pk")
    )
