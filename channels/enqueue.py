"""Enqueueing Celery tasks, once the current transaction has committed.

Services never import ``channels.tasks`` (the tasks call the services): they enqueue
here, by the task's registered name. The names are defined once, here; ``channels.tasks``
registers its tasks under them. Routing is the same as for ``task.delay()``: the
``CELERY_TASK_ROUTES`` router (``channels.queues.task_route``) picks the queue of each
task sent. ``CELERY_TASK_ALWAYS_EAGER`` runs the task in the caller's process, as it does
for ``task.delay()``.

Each function defers the send with ``transaction.on_commit``: inside a transaction the
task goes once it has committed (a worker must find the rows it names) and not at all
when it rolls back; outside one it goes at once.
"""

import functools
from collections.abc import Iterable

from django.db import transaction

from ccm.celery import app

BATCH_DISPATCH = "channels.tasks.batch_dispatch"
MESSAGES_SEND = "channels.tasks.messages_send"


def batch_dispatch_enqueue(batch_id: int) -> None:
    """Hand the batch to a worker (``batch_dispatch``) after commit."""
    _send_on_commit(BATCH_DISPATCH, batch_id)


def messages_send_enqueue(message_ids: Iterable[int]) -> None:
    """Hand a chunk of messages to a worker (``messages_send``) after commit; its queue is
    chosen by the messages (``channels.queues.messages_queue``)."""
    _send_on_commit(MESSAGES_SEND, list(message_ids))


def _send_on_commit(name: str, *args: object) -> None:
    transaction.on_commit(functools.partial(_send, name, args))


def _send(name: str, args: tuple[object, ...]) -> None:
    # A signature by name goes through the registered task's apply_async (routing,
    # eager mode), or app.send_task in a process that did not load the task.
    app.signature(name, args=args).delay()
