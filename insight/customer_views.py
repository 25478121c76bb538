"""The customer page: contact points, consent and suppression, and the timeline of what
was sent (the list of customers is the customers app's)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from ccm.views_access import AuthenticatedRequest
from customers.models import Customer, Suppression
from insight.timeline import customer_timeline


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: AuthenticatedRequest, external_id: str) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.prefetch_related("consents"), external_id=external_id
    )
    suppressions = Suppression.objects.filter(address__in=[customer.email.lower(), customer.phone])
    return render(
        request,
        "insight/customer_detail.html",
        {
            "customer": customer,
            "address_lines": customer.postal_address.splitlines(),
            "suppressions": suppressions,
            "timeline": customer_timeline(customer=customer, viewer=request.user),
            "can_view_archive": request.user.has_perm("compliance.view_archiveentry"),
        },
    )
