"""Rendering a message the way it is sent, so that rendering it again later (the archive's
re-render check) gives what left: the recipient's address lines read from the text the
message holds, a letter dated the day the message was made, and a test email's subject
mark."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from django.utils import timezone

from rendering.render import render
from rendering.sources import VersionSource
from rendering.types import Recipient, Rendered

TEST_SUBJECT_PREFIX = "[TEST] "


def recipient_from_text(*, name: str, address: str) -> Recipient:
    """The recipient of a letter: ``address`` one line a line, blank lines left out."""
    lines = tuple(line.strip() for line in address.splitlines() if line.strip())
    return Recipient(name=name, address_lines=lines)


def render_as_sent(
    *,
    version: VersionSource,
    channel: str,
    locale: str,
    data: Mapping[str, Any],
    recipient_name: str,
    recipient_address: str,
    created_at: dt.datetime,
) -> Rendered:
    """``version`` rendered for one message: addressed to ``recipient_address`` (a postal
    address for a letter, else the email address or number), dated the local day of
    ``created_at``. Raises RenderError."""
    return render(
        version,
        channel,
        locale,
        data,
        recipient=recipient_from_text(name=recipient_name, address=recipient_address),
        letter_date=timezone.localdate(created_at),
    )


class MessageSource(Protocol):
    """What rendering reads from a message sent by the pipeline."""

    version: Any
    channel: str
    locale: str
    data: Any
    recipient_name: str
    recipient: str
    created_at: dt.datetime


def message_render_as_sent(message: MessageSource) -> Rendered:
    """``message`` rendered exactly as the pipeline sent it (its recipient lines, its
    date). Raises RenderError."""
    return render_as_sent(
        version=message.version,
        channel=message.channel,
        locale=message.locale,
        data=message.data,
        recipient_name=message.recipient_name,
        recipient_address=message.recipient,
        created_at=message.created_at,
    )


def test_send_mark(rendered: Rendered) -> Rendered:
    """``rendered`` as a test email carries it: the subject starts with ``[TEST]``."""
    return dataclasses.replace(rendered, subject=TEST_SUBJECT_PREFIX + rendered.subject)
