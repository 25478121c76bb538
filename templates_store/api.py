"""REST API for communications: catalogue, create, change, data schema, and what the
version endpoints share (serializers, lookups). The work on versions is in api_versions.py
(drafts), api_previews.py (lint, preview), api_review.py (review, publishing) and
api_exchange.py (export, import)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.permissions import MANAGE_TEMPLATES, READ_STATUS, request_user
from templates_store import selectors, services
from templates_store.models import (
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)
from templates_store.selectors import communication_list


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateVariant
        fields = ["channel", "locale", "subject", "body_html", "body_text"]


class ReviewEventSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = ReviewEvent
        fields = ["action", "actor", "at", "comment", "content_hash"]


class VersionSerializer(serializers.ModelSerializer):
    author: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    variants = VariantSerializer(many=True, read_only=True)
    events = ReviewEventSerializer(
        many=True, read_only=True, help_text="The audit trail: who did what, when."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = TemplateVersion
        fields = [
            "number",
            "url",
            "status",
            "author",
            "content_hash",
            "created_at",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_at",
            "publish_at",
            "sample_data",
            "variants",
            "events",
        ]

    def get_url(self, version: TemplateVersion) -> str:
        path = reverse("api-version-detail", args=[version.communication.key, version.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def communication_or_404(key: str) -> Communication:
    communication = communication_list().filter(key=key).first()
    if communication is None:
        raise Http404
    return communication


def version_or_404(key: str, number: int) -> TemplateVersion:
    version = (
        TemplateVersion.objects.select_related("communication__brand", "author", "approved_by")
        .prefetch_related("variants", "events__actor")
        .filter(communication__key=key, number=number)
        .first()
    )
    if version is None:
        raise Http404
    return version


def version_response(request: Request, version: TemplateVersion, code: int = 200) -> Response:
    """The version as the API shows it, read again with its content (after a step)."""
    fresh = selectors.version_with_content(pk=version.pk)
    return Response(VersionSerializer(fresh, context={"request": request}).data, status=code)


class CommunicationSerializer(serializers.ModelSerializer):
    brand: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    published_version = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api-communication-detail", lookup_field="key"
    )

    class Meta:
        model = Communication
        fields = [
            "key",
            "url",
            *Communication.DESIGNER_FIELDS,
            "published_version",
            "updated_at",
        ]

    def get_published_version(self, communication: Communication) -> int | None:
        published = [
            v for v in communication.versions.all() if v.status == TemplateVersion.Status.PUBLISHED
        ]
        return published[0].number if published else None


class CommunicationDetailSerializer(CommunicationSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta(CommunicationSerializer.Meta):
        fields = [*CommunicationSerializer.Meta.fields, "versions"]


class CommunicationWriteSerializer(serializers.ModelSerializer):
    """What a designer sets on a communication; the brand is named."""

    brand: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Brand.objects.all()
    )
    data_schema = serializers.JSONField(
        required=False, help_text="JSON Schema of the data every recipient row must carry."
    )

    class Meta:
        model = Communication
        fields = ["key", *Communication.DESIGNER_FIELDS]
        # The key is checked by the service (unique, a slug); it never changes.
        extra_kwargs: dict[str, Any] = {"key": {"validators": []}}


def bad_request(exc: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as a DRF 400, naming the field when there is one."""
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


def _detail(request: Request, key: str, code: int = 200) -> Response:
    communication = CommunicationDetailView.queryset.get(key=key)
    return Response(
        CommunicationDetailSerializer(communication, context={"request": request}).data,
        status=code,
    )


class CommunicationListView(generics.ListCreateAPIView):
    """Every communication; POST creates one with an empty draft version 1."""

    required_permissions = {
        "GET": "templates_store.view_communication",
        "POST": "templates_store.add_communication",
    }
    serializer_class = CommunicationSerializer
    queryset = communication_list().order_by("key")
    pagination_class = None

    @extend_schema(
        request=CommunicationWriteSerializer, responses={201: CommunicationDetailSerializer}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = CommunicationWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            communication = services.communication_create(
                **payload.validated_data, author=request_user(request)
            )
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return _detail(request, communication.key, status.HTTP_201_CREATED)


class CommunicationDetailView(generics.RetrieveAPIView):
    """A communication with its versions; PATCH changes its fields (not the key)."""

    required_permissions = {
        "GET": "templates_store.view_communication",
        "PATCH": "templates_store.change_communication",
    }
    serializer_class = CommunicationDetailSerializer
    lookup_field = "key"
    queryset = communication_list().prefetch_related(
        "versions__variants", "versions__author", "versions__events__actor"
    )

    @extend_schema(
        request=CommunicationWriteSerializer(partial=True),
        responses=CommunicationDetailSerializer,
    )
    def patch(self, request: Request, key: str) -> Response:
        communication = communication_or_404(key)
        payload = CommunicationWriteSerializer(communication, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        if fields.pop("key", key) != key:
            raise ValidationError({"key": [_("The key of a communication never changes.")]})
        try:
            services.communication_update(communication=communication, **fields)
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return _detail(request, key)


DATA_SCHEMA_RESPONSE = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": True,
        "description": "A JSON Schema document (an object; draft 2020-12 unless its "
        "`$schema` says otherwise). `{}` when the communication sets none.",
    },
    description="The JSON Schema that the `data` of every recipient of this communication "
    "must match: each row of a batch is checked against it when the batch is submitted, "
    "and rendered with the published version.",
    examples=[
        OpenApiExample(
            "payment-reminder (shortened)",
            value={
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["first_name", "amount", "currency", "due_date"],
                "properties": {
                    "first_name": {"type": "string", "minLength": 1},
                    "amount": {"type": "number", "exclusiveMinimum": 0},
                    "currency": {"type": "string", "enum": ["GBP", "JPY"]},
                    "due_date": {"type": "string", "format": "date"},
                },
            },
        )
    ],
)


class CommunicationSchemaView(APIView):
    """The JSON Schema of the communication's data; PUT replaces it.

    Reading it is part of sending (a system checks its rows before it submits them), so a
    token with ``read_status`` may read it, as may one with ``manage_templates``."""

    required_permissions = {
        "GET": "templates_store.view_communication",
        "PUT": "templates_store.change_communication",
    }
    required_scopes = {"GET": (READ_STATUS, MANAGE_TEMPLATES)}

    @extend_schema(
        summary="The JSON Schema of a communication's data",
        responses={200: DATA_SCHEMA_RESPONSE},
    )
    def get(self, request: Request, key: str) -> Response:
        return Response(communication_or_404(key).data_schema)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: DATA_SCHEMA_RESPONSE})
    def put(self, request: Request, key: str) -> Response:
        communication = communication_or_404(key)
        try:
            services.communication_update(communication=communication, data_schema=request.data)
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return Response(communication.data_schema)
