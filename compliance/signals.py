"""Signals the archive sends to the layers above it, which it does not import."""

from django.dispatch import Signal

# Sent inside the purge's transaction once entries are tombstoned, before their rows go,
# with ``message_ids``: the messages whose archived copies were purged. Channels scrubs
# the personal data those messages still hold (channels/receivers.py).
entries_purged = Signal()
