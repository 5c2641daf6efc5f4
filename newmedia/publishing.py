"""Handing tasks to the broker without ever making a request wait on it.

Whatever a task does is already a row in the database (a notification in the outbox, a return
copy owed) when the task is published, so publishing is only a hurry-up: the outbox flush queues
again what the broker did not take. Hence:

- publishing happens after the commit, over one connection per pass, with a short timeout and
  no retries (``NEWMEDIA_PUBLISH_TIMEOUT_MS``);
- after one failure the process stops trying for ``NEWMEDIA_PUBLISH_PAUSE_SECONDS`` (a circuit
  breaker): a broker that is down costs one short wait, not one per action;
- inside ``batched()`` (a bulk action) everything is published once, at the end;
- the first publish that gets through after a failure or a skip also queues the outbox flush,
  so what was skipped goes out as soon as the broker is back.

The counters are this process's, since it started; /readyz shows them.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .celery import app

logger = logging.getLogger(__name__)

# What went wrong in this process: failed publishes, calls skipped while the breaker was open,
# and the 500 pages served (newmedia.views.server_error). Read by /readyz.
counters: Counter = Counter()
_lock = threading.Lock()
_paused_until = 0.0  # time.monotonic() before which nothing is published
_owed_flush = False  # something was not published: queue the flush once the broker answers

_batch: ContextVar[list | None] = ContextVar("newmedia_publishing_batch", default=None)


def paused() -> bool:
    """Whether the breaker is open: a publish failed less than the pause ago."""
    return time.monotonic() < _paused_until


def _trip() -> None:
    global _paused_until, _owed_flush
    with _lock:
        _paused_until = time.monotonic() + settings.NEWMEDIA_PUBLISH_PAUSE_SECONDS
        _owed_flush = True


def breaker_reset() -> None:
    """Close the breaker and forget what was owed (tests, and a process that starts afresh)."""
    global _paused_until, _owed_flush
    with _lock:
        _paused_until = 0.0
        _owed_flush = False


def connection():
    """A broker connection that gives up fast: one attempt, NEWMEDIA_PUBLISH_TIMEOUT_MS."""
    timeout = settings.NEWMEDIA_PUBLISH_TIMEOUT_MS / 1000
    options = {
        **app.conf.broker_transport_options,
        # kombu retries a refused connection until the connect timeout has passed: once is enough.
        "max_retries": 0,
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
    }
    return app.connection_for_write(connect_timeout=timeout, transport_options=options)


def publish(calls: Sequence[tuple]) -> int:
    """Publish (task, args) calls in order over one connection; how many the broker took.

    Never raises: a failure trips the breaker, and the caller's rows wait for the flush.
    """
    global _owed_flush
    calls = list(calls)
    if not calls:
        return 0
    if app.conf.task_always_eager:  # the embedded default: tasks run here and now
        for task, args in calls:
            try:
                task.apply_async(args)
            except Exception as exc:  # a failed task must not fail the page that queued it
                logger.warning("Task %s%r failed (%s); the flush will retry", task.name, args, exc)
        return len(calls)
    if paused():
        counters["publish_skipped"] += len(calls)
        with _lock:
            _owed_flush = True
        return 0
    taken = 0
    try:
        with connection() as broker:
            for task, args in calls:
                task.apply_async(args, connection=broker)
                taken += 1
            if _owed_flush:
                _owed_flush = False
                app.send_task("approvals.tasks.flush_outbox", kwargs={}, connection=broker)
    except Exception as exc:  # whatever the transport raises: the page must not fail for it
        counters["publish_failed"] += 1
        _trip()
        logger.warning(
            "Could not queue %d tasks (%s); publishing pauses for %d s, the outbox flush retries",
            len(calls) - taken,
            exc,
            settings.NEWMEDIA_PUBLISH_PAUSE_SECONDS,
        )
    return taken


def publish_on_commit(calls: Sequence[tuple], *, missed=None) -> None:
    """Publish once the transaction commits, or at the end of the enclosing ``batched()``.

    ``missed(calls)`` runs with the calls the broker did not take (to leave their rows to the
    flush). A failure in it is logged, never raised into the committed request.
    """
    calls = list(calls)

    def go():
        batch = _batch.get()
        if batch is not None:
            batch.append((calls, missed))
            return
        taken = publish(calls)
        if missed is not None and taken < len(calls):
            missed(calls[taken:])

    transaction.on_commit(go, robust=True)


@contextmanager
def batched() -> Iterator[None]:
    """Collect the publishing of every commit inside, and publish it all once at the end."""
    if _batch.get() is not None:  # already collecting: the outer batch publishes
        yield
        return
    collected: list = []
    token = _batch.set(collected)
    try:
        yield
    finally:
        _batch.reset(token)
        taken = publish([call for group, _missed in collected for call in group])
        for group, missed in collected:
            left = group[max(0, taken) :]
            taken -= len(group)
            if missed is not None and left:
                try:
                    missed(left)
                except Exception:
                    logger.exception("Could not leave %d unpublished tasks to the flush", len(left))


# Outboxes: rows that say a task is owed (an e-mail, a robot's message), with a "queued at" field
# that keeps two flushes or sweeps from queueing the same row twice.


def owed_unqueuer(model, *, mark: str, sent: str) -> Callable[[list], None]:
    """An outbox's ``missed`` callback: the rows of the calls the broker did not take, if still
    unsent (their field ``sent`` empty), lose their queued mark (``mark``), so that the next
    flush queues them at once."""

    def unqueue(calls: list[tuple]) -> None:
        ids = [args[0] for _task, args in calls]
        model.objects.filter(pk__in=ids, **{f"{sent}__isnull": True}).update(**{mark: None})

    return unqueue


def owed_claim(owed: QuerySet, *, mark: str, limit: int | None = None) -> list[int]:
    """Mark the ``owed`` rows queued (their field ``mark``), oldest first, in the caller's
    transaction (or one of its own); rows another flush or sweep holds are skipped. Returns
    their ids, to publish."""
    with transaction.atomic(savepoint=False):
        rows = owed.order_by("created_at", "pk").select_for_update(skip_locked=True)
        ids = list(rows.values_list("pk", flat=True)[:limit])
        if ids:
            owed.model.objects.filter(pk__in=ids).update(**{mark: timezone.now()})
    return ids


def owed_publish(calls: Sequence[tuple], *, missed: Callable[[list], None]) -> int:
    """Publish claimed rows' calls now, in one pass; ``missed`` unqueues what the broker refused."""
    calls = list(calls)
    taken = publish(calls)
    if taken < len(calls):
        missed(calls[taken:])
    return taken


def owed_flush(
    owed: QuerySet,
    *,
    mark: str,
    calls_for: Callable[[list[int]], list[tuple]],
    missed: Callable[[list], None],
    batch: int = 500,
) -> int:
    """Queue every owed row of an outbox, a batch at a time, until none is owed or the broker
    refuses. Returns how many the broker took."""
    queued = 0
    while ids := owed_claim(owed, mark=mark, limit=batch):
        taken = owed_publish(calls_for(ids), missed=missed)
        queued += taken
        if taken < len(ids):
            break
    return queued
