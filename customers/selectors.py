from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from ccm.roles import VIEW_EVERY_CLIENT
from customers.contact_points import suppression_key
from customers.models import Consent, Customer, Suppression


def customer_list(*, query: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if query:
        qs = (
            qs.filter(external_id__startswith=query)
            | qs.filter(name__icontains=query)
            | qs.filter(email__iexact=query)
        )
    return qs.order_by("external_id")


def consents_granted(*, customer_ids: Iterable[int], category: str) -> set[int]:
    """Ids of the customers who granted consent to ``category``."""
    return set(
        Consent.objects.filter(
            customer_id__in=list(customer_ids), category=category, granted=True
        ).values_list("customer_id", flat=True)
    )


def suppressed_addresses(*, contacts: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (channel, address) pairs are suppressed, as normalised pairs."""
    wanted = {
        (channel, suppression_key(channel, address)) for channel, address in contacts if address
    }
    if not wanted:
        return set()
    rows = Suppression.objects.filter(address__in={a for _, a in wanted}).values_list(
        "channel", "address"
    )
    return {row for row in rows if row in wanted}


def customer_timeline(*, customer: Customer, viewer: User) -> list[dict[str, Any]]:
    """Every message to the customer that ``viewer``'s client may see (its batches and
    real-time messages; every client's with VIEW_EVERY_CLIENT), newest first, with its
    status and archived copy."""
    from channels.models import Message
    from compliance.models import ArchiveEntry

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
    from insight.selectors import survey_answers_for_messages

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
