"""A customer's communication timeline: every message sent to them, with its status, its
archived copy and the survey answer it drew. It reads channels, compliance and insight, so
it lives here, above all three."""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q

from ccm.roles import VIEW_EVERY_CLIENT
from channels.models import Message
from compliance.models import ArchiveEntry
from customers.models import Customer
from insight.selectors.survey_answers import survey_answers_for_messages


def customer_timeline(*, customer: Customer, viewer: User) -> list[dict[str, Any]]:
    """Every message to the customer that ``viewer``'s client may see (its batches and
    real-time messages; every client's with VIEW_EVERY_CLIENT), newest first, with its
    status and archived copy."""
    reachable = Message.objects.filter(customer=customer)
    if not viewer.has_perm(VIEW_EVERY_CLIENT):
        reachable = reachable.filter(Q(requested_by=viewer) | Q(batch__created_by=viewer))
    messages = list(
        reachable.select_related("version__communication").order_by("-created_at", "-id")
    )
    entries = dict(
        ArchiveEntry.objects.filter(message__in=messages, is_test=False).values_list(
            "message_id", "id"
        )
    )
    answers = survey_answers_for_messages(message_ids=[m.pk for m in messages])
    return [
        {
            "message": m.pk,
            "at": m.sent_at or m.created_at,
            "communication": m.version.communication.key,
            "communication_name": m.version.communication.name,
            "version": m.version.number,
            "channel": m.channel,
            "status": m.status,
            "batch": m.batch_id,
            "recipient": m.recipient,
            "error": m.last_error,
            "archive_entry": entries.get(m.pk),
            "fallback_of": m.fallback_of_id,
            "survey_answer": answers.get(m.pk),
        }
        for m in messages
    ]
