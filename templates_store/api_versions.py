"""REST API for the studio's drafts: the versions of a communication, a new draft, its
sample data and the content of each channel and locale. Lint and preview are in
api_previews.py, review and publishing in api_review.py, export and import in
api_exchange.py.

Each view names the permission every HTTP method needs (``ccm.permissions.RolePermission``);
the services enforce the rest (only a draft changes, the author never approves).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.permissions import request_user
from ccm.vocabulary import Channel
from templates_store import exchange, selectors, services
from templates_store.api import (
    VariantSerializer,
    VersionSerializer,
    bad_request,
    communication_or_404,
    version_or_404,
    version_response,
)
from templates_store.permissions import ADD_VERSION, CHANGE_VERSION, VIEW_VERSION


class VersionListCreateView(APIView):
    """The versions of a communication, newest first; POST makes a new draft copied from
    the latest version."""

    required_permissions = {"GET": VIEW_VERSION, "POST": ADD_VERSION}

    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        communication = communication_or_404(key)
        versions = (
            selectors.version_list_for_communication(communication=communication)
            .select_related("communication")
            .prefetch_related("variants", "events__actor")
        )
        return Response(VersionSerializer(versions, many=True, context={"request": request}).data)

    @extend_schema(request=None, responses={201: VersionSerializer})
    def post(self, request: Request, key: str) -> Response:
        communication = communication_or_404(key)
        version = services.version_create(communication=communication, author=request_user(request))
        return version_response(request, version, status.HTTP_201_CREATED)


class VersionDetailView(APIView):
    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, key: str, number: int) -> Response:
        return version_response(request, version_or_404(key, number))


class SampleDataView(APIView):
    """The sample data previews, lint and test sends render with (a JSON object)."""

    required_permissions = {"GET": VIEW_VERSION, "PUT": CHANGE_VERSION}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, key: str, number: int) -> Response:
        return Response(version_or_404(key, number).sample_data)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request, key: str, number: int) -> Response:
        version = version_or_404(key, number)
        if not isinstance(request.data, dict):
            raise ValidationError({"sample_data": [_("Must be a JSON object ({...}).")]})
        try:
            services.version_sample_data_save(version=version, sample_data=dict(request.data))
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return Response(version.sample_data)


class VariantWriteSerializer(serializers.Serializer):
    """The template fields of one channel; a field the channel does not have is refused."""

    subject = serializers.CharField(required=False, allow_blank=True, max_length=500)
    body_html = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    body_text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        channel = self.context["channel"]
        allowed = exchange.CHANNEL_FIELDS[channel]
        extra = {
            name: [_("The %(channel)s channel has no such field.") % {"channel": channel}]
            for name in attrs
            if name not in allowed
        }
        unknown = (
            set(self.initial_data) - set(self.fields)
            if isinstance(self.initial_data, dict)
            else set()
        )
        extra.update({name: [_("Unknown field.")] for name in sorted(unknown)})
        if extra:
            raise ValidationError(extra)
        if "subject" in attrs and "\n" in attrs["subject"]:
            raise ValidationError({"subject": [_("A subject is one line.")]})
        return attrs


class VariantView(APIView):
    """One channel in one locale of a version. PUT replaces its content (a draft only:
    fields left out are emptied); DELETE removes it."""

    required_permissions = {"GET": VIEW_VERSION, "PUT": CHANGE_VERSION, "DELETE": CHANGE_VERSION}

    def _check(self, channel: str, locale: str) -> None:
        if channel not in Channel.values:
            raise ValidationError(
                {
                    "channel": [
                        _("Unknown channel; one of: %(c)s.") % {"c": ", ".join(Channel.values)}
                    ]
                }
            )
        locales = [code for code, _name in settings.LANGUAGES]
        if locale not in locales:
            raise ValidationError(
                {"locale": [_("Unknown language; one of: %(c)s.") % {"c": ", ".join(locales)}]}
            )

    @extend_schema(responses=VariantSerializer)
    def get(self, request: Request, key: str, number: int, channel: str, locale: str) -> Response:
        version = version_or_404(key, number)
        variant = version.variants.filter(channel=channel, locale=locale).first()
        if variant is None:
            raise Http404
        return Response(VariantSerializer(variant).data)

    @extend_schema(request=VariantWriteSerializer, responses=VariantSerializer)
    def put(self, request: Request, key: str, number: int, channel: str, locale: str) -> Response:
        version = version_or_404(key, number)
        self._check(channel, locale)
        payload = VariantWriteSerializer(data=request.data, context={"channel": channel})
        payload.is_valid(raise_exception=True)
        try:
            variant = services.variant_save(
                version=version, channel=channel, locale=locale, **payload.validated_data
            )
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return Response(VariantSerializer(variant).data)

    @extend_schema(request=None, responses={204: None})
    def delete(
        self, request: Request, key: str, number: int, channel: str, locale: str
    ) -> Response:
        version = version_or_404(key, number)
        self._check(channel, locale)
        try:
            services.variant_delete(version=version, channel=channel, locale=locale)
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
