from channels.services.batches import batch_cancel, batch_create, batch_dispatch, batch_finalize
from channels.services.realtime import message_create

__all__ = [
    "batch_cancel",
    "batch_create",
    "batch_dispatch",
    "batch_finalize",
    "message_create",
]
