from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from ccm.views_access import AuthenticatedRequest
from customers import selectors
from customers.models import Customer, Suppression


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.customer_list(query=query), 50).get_page(request.GET.get("page"))
    return render(request, "customers/customer_list.html", {"page": page, "query": query})


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: AuthenticatedRequest, external_id: str) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.prefetch_related("consents"), external_id=external_id
    )
    suppressions = Suppression.objects.filter(address__in=[customer.email.lower(), customer.phone])
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "address_lines": customer.postal_address.splitlines(),
            "suppressions": suppressions,
            "timeline": selectors.customer_timeline(customer=customer, viewer=request.user),
            "can_view_archive": request.user.has_perm("compliance.view_archiveentry"),
        },
    )
