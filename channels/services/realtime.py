"""Real-time messages: one event-triggered message (a one-time code, an order
confirmation) without a batch, sent as soon as it is committed."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from channels.enqueue import messages_send_enqueue
from channels.models import Message
from channels.pipeline import transitions
from channels.services.batches import available_channels, message_build, row_context
from channels.services.routing import RowError
from templates_store.models import Communication
from templates_store.selectors import version_published


def message_create(
    *,
    communication: Communication,
    row: Mapping[str, Any],
    requested_by: User | None = None,
) -> Message:
    """Accept one message for the published version of ``communication`` and enqueue it.

    ``row`` has the shape of a batch row. Raises ValidationError keyed by the field.
    """
    version = version_published(communication=communication)
    if version is None:
        raise ValidationError(
            {"communication": f"Communication {communication.key!r} has no published version."}
        )
    try:
        message = message_build(
            version=version,
            row=row,
            context=row_context(rows=[row], communication=communication),
            available=available_channels(version),
        )
    except RowError as exc:
        raise ValidationError({exc.field: exc.reason}) from exc
    message.requested_by = requested_by  # type: ignore[assignment]
    with transaction.atomic():
        message.save()
        transitions.message_accepted(message)
        if message.status == Message.Status.QUEUED:
            messages_send_enqueue([message.pk])
    return message
