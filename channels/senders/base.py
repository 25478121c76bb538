"""The contract between the delivery pipeline (``channels.pipeline``) and the sender of one
channel. The pipeline claims, archives and records; a sender knows its channel: how a
message is rendered and built into what leaves, how a provider is opened, handed one
item and closed, and which of the provider's errors are permanent."""

from dataclasses import dataclass
from typing import Any, ClassVar

from channels.models import Message
from compliance.models import ArchiveEntry
from rendering.as_sent import message_render_as_sent
from rendering.exceptions import RenderError
from rendering.types import Rendered


@dataclass
class Outgoing:
    """A claimed message, rendered and built: the bytes to archive and what to hand over.

    ``backend`` is what the archive entry names, ``sent_backend`` what the ``sent`` event
    names; ``summary`` is what the archive searches by words (an email's subject, the
    text of an SMS); ``item`` is what the sender hands to its provider."""

    message: Message
    rendered: Rendered
    content: bytes
    content_type: str
    backend: str
    sent_backend: str
    summary: str
    item: Any = None
    pages: int = 0


def message_render(message: Message) -> Rendered:
    """``message`` rendered as the pipeline sends it. Raises RenderError."""
    return message_render_as_sent(message)


class Sender:
    """The sender of one channel; one instance serves every worker thread.

    Class attributes:

    - ``channel``: the ``ccm.vocabulary.Channel`` value it sends (``Message.channel``).
    - ``hands_over``: True when what it builds goes to a provider in the chunk (through
      ``open``/``send``/``close``); False when it waits in ``awaiting_print`` for a run
      that collects many (letters).
    - ``builds_together``: True when the chunk's messages are built in one call
      (``build_together``), False when each is built as it is rendered (``build``).

    The pipeline calls, for each claimed message, ``render`` and then ``build`` (or
    ``build_together`` for the chunk), archives ``Outgoing.content``, calls ``archived``
    with the archive entry, then (when ``hands_over``) opens up to ``connections()``
    connections and calls ``send`` once per item, from that many threads at once.

    Errors: ``render``/``build`` raise ``RenderError`` (the message fails) or
    ``DeliveryError(permanent=True)`` (it fails and falls back to the customer's next
    channel). ``open`` and ``send`` raise only ``DeliveryError``: ``permanent=True`` for
    this one message (``RecipientRejected`` also suppresses the address), else the chunk
    stops and what was not sent is queued again. A sender maps its own provider's errors;
    anything else is a bug and surfaces.
    """

    channel: ClassVar[str] = ""
    hands_over: ClassVar[bool] = True
    builds_together: ClassVar[bool] = False

    def render(self, message: Message) -> Rendered:
        return message_render(message)

    def build(self, message: Message, rendered: Rendered) -> Outgoing:
        raise NotImplementedError(f"{type(self).__name__} must implement build().")

    def build_together(self, items: list[tuple[Message, Rendered]]) -> list[Outgoing | RenderError]:
        """The built item of each (message, rendered), or the RenderError of that one, in
        the order given."""
        raise NotImplementedError(f"{type(self).__name__} must implement build_together().")

    def archived(self, outgoing: Outgoing, entry: ArchiveEntry) -> None:
        """Called with the archive entry of ``outgoing`` before it is handed over. The
        entry may be an earlier attempt's (its worker died after archiving): a sender
        whose content differs between builds sends the archived bytes."""

    def connections(self) -> int:
        """How many connections (and sending threads) one chunk may use at once."""
        return 1

    def open(self) -> Any:
        """A connection to the provider, open. Raises DeliveryError."""
        raise NotImplementedError(f"{type(self).__name__} must implement open().")

    def send(self, outgoing: Outgoing, connection: Any) -> str:
        """Hand ``outgoing`` over on ``connection``; returns the provider's id for it.
        Raises DeliveryError."""
        raise NotImplementedError(f"{type(self).__name__} must implement send().")

    def close(self, connection: Any) -> None:
        connection.close()
