"""A broker for tests: publishing to a Redis of the test's choosing, or to one that is down."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools

from newmedia.celery import app as celery_app


def closed_port() -> int:
    """A local port nothing listens on: a broker that is down refuses at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """Make this process publish tasks to ``url`` instead of running them in-process.

    Celery read its configuration (eager tasks, no broker: the test settings) when first used;
    the connection pools it built from it are dropped on the way in and out.
    """
    conf = celery_app.conf
    saved = {"broker_url": conf.broker_url, "task_always_eager": conf.task_always_eager}

    def reset_pools():
        kombu.pools.reset()  # closes every pooled connection and forgets the pools
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.update(broker_url=url, task_always_eager=False)
    reset_pools()
    try:
        yield
    finally:
        conf.update(saved)
        reset_pools()
