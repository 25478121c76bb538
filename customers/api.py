"""REST API for customers: bulk upsert (a customer with their timeline is insight's)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import services


class CustomerRowSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField(required=False)
    locale = serializers.CharField(required=False)
    timezone = serializers.CharField(required=False)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(
        required=False, allow_blank=True, help_text="E.164, e.g. +447700900123"
    )
    postal_address = serializers.CharField(required=False, allow_blank=True)
    channel_preference = serializers.ListField(
        child=serializers.ChoiceField(["email", "sms", "print"]), required=False
    )
    consents = serializers.DictField(child=serializers.BooleanField(), required=False)


class CustomerUpsertSerializer(serializers.Serializer):
    # Rows are checked one by one by the service, so that one bad row is reported, not fatal.
    customers = serializers.ListField(child=serializers.JSONField(), allow_empty=False)


class CustomerUpsertView(APIView):
    """Create or update customers by external id, in bulk."""

    required_permissions = {"POST": "customers.change_customer"}

    @extend_schema(
        request=CustomerUpsertSerializer,
        responses=inline_serializer(
            "CustomerUpsertResult",
            {
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "errors": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        payload = CustomerUpsertSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(services.customer_upsert_many(rows=payload.validated_data["customers"]))
