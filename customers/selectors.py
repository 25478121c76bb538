from collections.abc import Iterable

from django.db.models import QuerySet

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
