from channels.services.batches import batch_cancel, batch_create, batch_dispatch, batch_finalize
from channels.services.dispatch import messages_release_due, messages_requeue_stuck, messages_send
from channels.services.printing import print_files_build
from channels.services.realtime import message_create
from channels.services.test_sends import version_test_send

__all__ = [
    "batch_cancel",
    "batch_create",
    "batch_dispatch",
    "batch_finalize",
    "message_create",
    "messages_release_due",
    "messages_requeue_stuck",
    "messages_send",
    "print_files_build",
    "version_test_send",
]
