"""REST API: a customer with the timeline of what was sent to them (GET /api/customers/{id})."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.permissions import request_user
from customers.models import Customer
from insight.timeline import customer_timeline


class CustomerSerializer(serializers.ModelSerializer):
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "locale",
            "timezone",
            "email",
            "phone",
            "postal_address",
            "channel_preference",
            "consents",
            "created_at",
            "updated_at",
        ]

    def get_consents(self, customer: Customer) -> dict[str, bool]:
        return {c.category: c.granted for c in customer.consents.all()}


class CustomerDetailView(APIView):
    required_permissions = {"GET": "customers.view_customer"}

    @extend_schema(responses=CustomerSerializer)
    def get(self, request: Request, external_id: str) -> Response:
        customer = get_object_or_404(
            Customer.objects.prefetch_related("consents"), external_id=external_id
        )
        body: dict[str, Any] = dict(CustomerSerializer(customer).data)
        body["timeline"] = customer_timeline(customer=customer, viewer=request_user(request))[:200]
        return Response(body)
