"""Which Celery queue a task goes to: real-time messages ahead of batches, one queue per
channel for batch chunks (print renders PDFs and is CPU-bound), ``celery`` for the rest.

``task_route`` is the ``CELERY_TASK_ROUTES`` router. A chunk of ``messages_send`` is
routed by the messages it carries, read from the database when it is enqueued; an
enqueue site that already knows the queue passes it (``apply_async(..., queue=...)``,
e.g. ``queue=messages_queue(ids)``) and the router leaves it alone.

Workers take queues with ``celery worker -Q`` (see deploy/Procfile); a worker started
without ``-Q`` takes every queue in ``CELERY_TASK_QUEUES``.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ccm.vocabulary import Channel
from channels.enqueue import MESSAGES_SEND
from channels.models import Message

REALTIME = "realtime"
DEFAULT = "celery"
EMAIL = "email"
SMS = "sms"
PRINT = "print"
# A worker taking several queues takes them in turn: a real-time message waits for a free
# worker process, never behind the backlog of a batch.
QUEUES = (REALTIME, DEFAULT, EMAIL, SMS, PRINT)

_CHANNEL_QUEUES: dict[str, str] = {Channel.EMAIL: EMAIL, Channel.SMS: SMS, Channel.PRINT: PRINT}


def messages_queue(message_ids: Iterable[int]) -> str:
    """The queue for a chunk of messages.

    A chunk holding a letter goes to ``print`` (rendering PDFs is the CPU-bound work that
    queue's workers are sized for); a chunk of real-time emails and SMS (no batch) goes
    to ``realtime``; a batch chunk goes to its channel's queue (the most frequent channel
    of a mixed chunk). Ids that match no message go to ``celery``.
    """
    rows = list(Message.objects.filter(pk__in=list(message_ids)).values_list("channel", "batch_id"))
    if not rows:
        return DEFAULT
    channels = Counter(channel for channel, _ in rows)
    if Channel.PRINT in channels:
        return PRINT
    if all(batch_id is None for _, batch_id in rows):
        return REALTIME
    channel, _ = channels.most_common(1)[0]
    return _CHANNEL_QUEUES.get(channel, DEFAULT)


def task_route(
    name: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    options: Mapping[str, Any],
    task: Any = None,
    **kw: Any,
) -> dict[str, str] | None:
    """Celery router: the queue of ``messages_send`` chunks; None (the default queue,
    ``celery``) for every other task."""
    if name != MESSAGES_SEND or options.get("queue"):
        return None
    message_ids = args[0] if args else kwargs.get("message_ids")
    if not message_ids:
        return None
    return {"queue": messages_queue(message_ids)}
