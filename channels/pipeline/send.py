"""Sending a chunk of messages: claim, render and build, archive, hand over, record.

Each step is idempotent and every write after the claim is fenced by it
(``channels.pipeline.claims``). Provider calls happen outside any transaction, and the
outcome is written after. The archive holds one entry per message under its Message-ID,
so the one duplicate no protocol can rule out (the provider accepted the message, its
worker died before recording it) carries the same id, the same bytes and the same
archive entry, and the sweeper records it as a possible duplicate.

What a channel does is its sender's (``channels.senders``); this module names no channel.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from channels.exceptions import DeliveryError
from channels.models import Message
from channels.pipeline import transitions
from channels.pipeline.claims import messages_claim
from channels.pipeline.fallback import message_fail_permanently
from channels.pipeline.handover import messages_hand_over
from channels.senders.base import Outgoing, Sender
from channels.senders.registry import sender_for
from channels.services.batches import batch_finalize
from channels.services.callbacks import callbacks_for_messages
from channels.services.pacing import quiet_until
from compliance.services import ArchiveRecord, archive_records_create
from rendering.exceptions import RenderError
from rendering.types import Rendered


def messages_send(*, message_ids: list[int]) -> None:
    """Send the given messages that are still queued; others are left alone.

    The chunk is claimed, rendered and built first, moved to ``sending`` and archived in
    one write each, then handed over (or, for letters, left awaiting print) and recorded.

    Raises DeliveryError(permanent=False) after a transient failure (SMTP server down,
    SMS gateway unreachable); the messages not yet sent are queued again first, each not
    before its back-off, and ``messages_release_due`` enqueues them when it has passed.
    """
    now = timezone.now()
    claimed = messages_claim(message_ids=message_ids, now=now)
    messages = [m for m in claimed if not _deferred_for_quiet_hours(m, now)]
    if not messages:
        return
    built = _build(messages)
    held = {m.pk for m in transitions.messages_sending([o.message for o in built])}
    outgoing = [o for o in built if o.message.pk in held]
    _archive(outgoing)
    transitions.messages_awaiting_print(
        [(o.message, o.pages) for o in outgoing if not sender_for(o.message.channel).hands_over]
    )
    messages_hand_over([o for o in outgoing if sender_for(o.message.channel).hands_over])
    callbacks_for_messages(message_ids=[m.pk for m in messages])
    for batch_id in {m.batch_id for m in messages if m.batch_id}:
        batch_finalize(batch_id=batch_id)


def _deferred_for_quiet_hours(message: Message, now: dt.datetime) -> bool:
    """Batch messages wait for the end of the recipient's quiet hours (real-time ones,
    such as one-time codes, do not)."""
    if message.batch_id is None:
        return False
    until = quiet_until(channel=message.channel, tz_name=message.timezone, now=now)
    if until is None:
        return False
    transitions.message_deferred(message, until=until)
    return True


def _build(messages: list[Message]) -> list[Outgoing]:
    """Each message rendered and built by its channel's sender, in order; those whose
    sender builds a chunk together after the others. A message that cannot be rendered
    or may not go fails on its own (a refusal also falls back to the next channel)."""
    built: list[Outgoing] = []
    together: dict[Sender, list[tuple[Message, Rendered]]] = {}
    for message in messages:
        if message.attempts > settings.CCM_MAX_ATTEMPTS:
            transitions.message_failed(message, f"gave up after {message.attempts - 1} attempts")
            continue
        sender = sender_for(message.channel)
        try:
            rendered = sender.render(message)
            if sender.builds_together:
                together.setdefault(sender, []).append((message, rendered))
            else:
                built.append(sender.build(message, rendered))
        except RenderError as exc:
            transitions.message_failed(message, f"render: {exc}")
        except DeliveryError as exc:
            message_fail_permanently(message, exc)
    for sender, items in together.items():
        for (message, _), result in zip(items, sender.build_together(items), strict=True):
            if isinstance(result, RenderError):
                transitions.message_failed(message, f"render: {result}")
            else:
                built.append(result)
    return built


def _archive(outgoing: list[Outgoing]) -> None:
    """Archive the chunk in one write before anything leaves. A message archived by an
    earlier attempt (its worker died after archiving) keeps its entry, and its sender is
    told (an email is then sent as those archived bytes)."""
    entries = archive_records_create(
        records=[
            ArchiveRecord(
                content=o.content,
                content_type=o.content_type,
                message=o.message,
                version=o.message.version,
                channel=o.message.channel,
                locale=o.message.locale,
                recipient=o.message.recipient,
                recipient_name=o.message.recipient_name,
                subject=o.summary,
                data=o.message.data,
                customer=o.message.customer,
                backend=o.backend,
                message_reference=o.message.message_id,
            )
            for o in outgoing
        ]
    )
    for o, entry in zip(outgoing, entries, strict=True):
        sender_for(o.message.channel).archived(o, entry)
