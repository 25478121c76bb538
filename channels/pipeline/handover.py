"""Hand-over: the chunk's built items go to their providers, sender by sender, and what
was sent is recorded while the next items are on their way.

Each sender's items go out on up to ``sender.connections()`` connections at once (each
an SMTP connection, an ESP's HTTP session or an SMS session), each in a sending thread
and reused for the chunk; with one connection they go out in the calling thread. Never
more than CCM_SENT_RECORD_EVERY are handed over and not recorded: a worker that dies
leaves at most that many, which will be sent again.
"""

import contextvars
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from ccm.log_context import log_context_bind
from channels.exceptions import DeliveryError
from channels.models import Message
from channels.pipeline import transitions
from channels.pipeline.claims import claims_renew
from channels.pipeline.fallback import message_fail_permanently
from channels.senders.base import Outgoing, Sender
from channels.senders.registry import senders_all


def messages_hand_over(outgoing: list[Outgoing]) -> None:
    """Hand the chunk's items to their providers, one sender after the other (in the
    registry's order), and record what was sent.

    Raises DeliveryError(permanent=False) after a transient failure, once every item not
    handed over (this sender's and the later senders') is queued again."""
    groups = [
        (sender, [o for o in outgoing if o.message.channel == sender.channel])
        for sender in senders_all()
        if sender.hands_over
    ]
    for position, (sender, items) in enumerate(groups):
        connections = _Connections(sender)
        try:
            unsent, error = _hand_over_on(items, sender, connections)
        finally:
            connections.close()
        if error is not None:
            later = [o for _, group in groups[position + 1 :] for o in group]
            transitions.messages_retry([o.message for o in unsent + later], reason=str(error))
            raise error


def _hand_over_on(
    items: list[Outgoing], sender: Sender, connections: "_Connections"
) -> tuple[list[Outgoing], DeliveryError | None]:
    """Send ``items`` on up to ``sender.connections()`` connections at once, each reused
    for the chunk, so that one provider's round trips overlap another's.

    This thread records what was sent while the next items are on their way. A
    permanent failure fails its message (and falls back to the next channel). After a
    transient one nothing more is started; returns what was not sent, with the error
    (None when all went)."""
    threads = max(1, sender.connections())
    window = max(1, settings.CCM_SENT_RECORD_EVERY)
    # One connection: each item is sent in this thread, and a full window recorded
    # (sending would wait for the record anyway). With more, the whole window is queued
    # for the sending threads, and half of it recorded while they send the other half.
    queued_at_most = 1 if threads == 1 else window
    record_at = window if threads == 1 else max(1, window // 2)
    stopped = threading.Event()
    waiting = deque(items)
    running: dict[Future[str | None], Outgoing] = {}
    sent: list[tuple[Message, str, str]] = []
    unsent: list[Outgoing] = []
    error: DeliveryError | None = None
    renewed = time.monotonic()
    pool: Executor = (
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ccm-send")
        if threads > 1
        else _InThisThread()
    )
    try:
        while running or (waiting and error is None):
            while (
                waiting
                and error is None
                and len(running) < queued_at_most
                and len(running) + len(sent) < window
            ):
                item = waiting.popleft()
                send = contextvars.copy_context().run
                running[pool.submit(send, _send_one, item, sender, connections, stopped)] = item
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                try:
                    provider_id = future.result()
                except DeliveryError as exc:
                    if exc.permanent:
                        message_fail_permanently(item.message, exc)
                    else:
                        error = error or exc
                        unsent.append(item)
                    continue
                if provider_id is None:  # not started: a transient error had stopped it
                    unsent.append(item)
                else:
                    sent.append((item.message, item.sent_backend, provider_id))
            finished = not running and not (waiting and error is None)
            if len(sent) >= record_at or (sent and finished):
                transitions.messages_sent(sent)
                sent.clear()
            if time.monotonic() - renewed > settings.CCM_CLAIM_TIMEOUT_SECONDS / 3:
                claims_renew([o.message for o in [*running.values(), *waiting]])
                renewed = time.monotonic()
    finally:
        # After an unexpected error: nothing more starts, what is on its way finishes
        # and is recorded with the rest of what was sent.
        stopped.set()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, item in running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                provider_id = future.result()
                if provider_id is not None:
                    sent.append((item.message, item.sent_backend, provider_id))
        transitions.messages_sent(sent)
    return unsent + list(waiting), error


def _send_one(
    item: Outgoing, sender: Sender, connections: "_Connections", stopped: threading.Event
) -> str | None:
    """Hand one item over (in a sending thread); returns the provider's id, or None when
    the hand-over had stopped before this one started. A transient error stops it
    (``stopped``), before it reaches the thread that records."""
    if stopped.is_set():
        return None
    log_context_bind(message_id=item.message.pk, batch_id=item.message.batch_id)
    try:
        with connections.one() as connection:
            return sender.send(item, connection)
    except DeliveryError as exc:
        if not exc.permanent:
            stopped.set()
        raise


class _Connections:
    """Connections to one sender's provider for a chunk: opened as they are needed, each
    used by one sending thread at a time, all closed at the end."""

    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened: list[Any] = []

    @contextmanager
    def one(self) -> Iterator[Any]:
        try:
            connection = self._free.get_nowait()
        except queue.Empty:
            connection = self._sender.open()
            self._opened.append(connection)
        try:
            yield connection
        finally:
            self._free.put(connection)

    def close(self) -> None:
        for connection in self._opened:
            self._sender.close(connection)


class _InThisThread(Executor):
    """Runs each call at once in the calling thread: one connection needs no thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a pool does
            future.set_exception(exc)
        return future
