"""The senders the pipeline drives, one per channel.

A new channel's sender is added to ``_senders`` here (or registered with
``sender_register`` from its app's ``AppConfig.ready()``); the pipeline needs no edit. The
order is the order in which a chunk's messages are handed over.
"""

from channels.senders.base import Sender
from channels.senders.email import EmailSender
from channels.senders.print import PrintSender
from channels.senders.sms import SmsSender

_senders: dict[str, Sender] = {
    sender.channel: sender for sender in (EmailSender(), SmsSender(), PrintSender())
}


def sender_register(sender: Sender) -> None:
    """Drive ``sender`` for messages on ``sender.channel`` (replacing any other)."""
    _senders[sender.channel] = sender


def sender_unregister(channel: str) -> None:
    _senders.pop(channel, None)


def sender_for(channel: str) -> Sender:
    """The sender of ``channel``. Raises KeyError for a channel no sender sends."""
    return _senders[channel]


def senders_all() -> list[Sender]:
    return list(_senders.values())
