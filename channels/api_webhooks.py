"""REST API for the calling client's status callbacks: its endpoints, the deliveries (the
dead-letter list among them) and their retry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.permissions import request_user
from channels import selectors
from channels.models import WebhookDelivery, WebhookEndpoint
from channels.services import callbacks


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "is_active", "created_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="endpoint.url", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "url",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        ]


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)


class WebhookEndpointListCreateView(APIView):
    """The calling client's callback endpoints. Creating one returns its signing secret once."""

    required_permissions = {"GET": "channels.view_batch", "POST": "channels.add_batch"}

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request: Request) -> Response:
        endpoints = selectors.webhook_endpoints_of_client(owner=request_user(request))
        return Response(WebhookEndpointSerializer(endpoints, many=True).data)

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={
            201: inline_serializer(
                "WebhookEndpointCreated",
                {
                    "id": serializers.IntegerField(),
                    "url": serializers.URLField(),
                    "secret": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        payload = WebhookEndpointCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            endpoint = callbacks.webhook_endpoint_create(
                owner=request_user(request), url=payload.validated_data["url"]
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(
            {"id": endpoint.pk, "url": endpoint.url, "secret": endpoint.secret}, status=201
        )


class DeliveryPagination(CursorPagination):
    ordering = "-created_at"


class WebhookDeliveryListView(generics.ListAPIView):
    """The calling client's callbacks; ``?status=dead`` is the dead-letter list."""

    required_permissions = {"GET": "channels.view_batch"}
    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryPagination

    @extend_schema(parameters=[OpenApiParameter("status", enum=WebhookDelivery.Status.values)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.webhook_deliveries_of_client(
            owner=request_user(self.request), status=self.request.query_params.get("status")
        )


class WebhookDeliveryRetryView(APIView):
    required_permissions = {"POST": "channels.add_batch"}

    @extend_schema(request=None, responses=WebhookDeliverySerializer)
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(
            selectors.webhook_deliveries_of_client(owner=request_user(request)), pk=pk
        )
        try:
            callbacks.webhook_delivery_retry(delivery=delivery)
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(WebhookDeliverySerializer(delivery).data)
