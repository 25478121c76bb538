"""Receivers of the signals that the layers below channels send (connected in
ChannelsConfig.ready())."""

from typing import Any

from django.dispatch import receiver

from channels.models import Message
from compliance.signals import entries_purged


@receiver(entries_purged, dispatch_uid="channels.message_scrub_after_purge")
def message_scrub_after_purge(*, message_ids: list[int], **kwargs: Any) -> None:
    """The archive purged these messages' copies: their recipient and data go too."""
    Message.objects.filter(id__in=message_ids).update(recipient="", recipient_name="", data={})
