"""API clients apart: the permissions that span clients, and an owner for every message.

Batches (``created_by``) and webhook endpoints (``owner``) always had their client. A
real-time message has its requester, but the fallback made after it failed (the letter
after a bounced email) was created without one: this gives each such fallback the
requester of the message it replaced, following chains of fallbacks. Messages of a
batch belong to the batch's creator and are left as they are.
"""

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fallback_requesters_fill(apps: Any, schema_editor: Any) -> None:
    Message = apps.get_model("channels", "Message")
    requester = Subquery(
        Message.objects.filter(pk=OuterRef("fallback_of_id")).values("requested_by_id")[:1]
    )
    # One pass per link of the longest chain (a chain has at most one message a channel).
    while (
        Message.objects.filter(
            batch__isnull=True,
            requested_by__isnull=True,
            fallback_of__requested_by__isnull=False,
        ).update(requested_by_id=requester)
        > 0
    ):
        pass


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0009_message_lean_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="batch",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("cancel_batch", "Can cancel a batch"),
                    ("view_every_client", "Can see every API client's batches and messages"),
                    ("cancel_every_client", "Can cancel every API client's batches"),
                ],
            },
        ),
        migrations.RunPython(fallback_requesters_fill, migrations.RunPython.noop),
    ]
