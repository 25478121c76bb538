from channels.services.batches import batch_cancel, batch_create, batch_dispatch, batch_finalize
from channels.services.dispatch import messages_requeue_stuck, messages_send
from channels.services.test_sends import version_test_send

__all__ = [
    "batch_cancel",
    "batch_create",
    "batch_dispatch",
    "batch_finalize",
    "messages_requeue_stuck",
    "messages_send",
    "version_test_send",
]
