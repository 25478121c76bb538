"""REST API for a version's checks and previews: the lint submission runs, every channel
rendered exactly as sending renders it, and the letter as a PDF."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rendering.exceptions import RenderError
from templates_store import previews
from templates_store.api import version_or_404
from templates_store.lint import ERROR, version_lint
from templates_store.permissions import VIEW_VERSION


class LintIssueSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["error", "warning"])
    channel = serializers.CharField()
    locale = serializers.CharField()
    field = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class LintSerializer(serializers.Serializer):
    error_count = serializers.IntegerField(help_text="Issues that block submission.")
    issues = LintIssueSerializer(many=True)


class LintView(APIView):
    """The checks submission runs: errors block it, warnings are advice."""

    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(responses=LintSerializer)
    def get(self, request: Request, key: str, number: int) -> Response:
        issues = version_lint(version=version_or_404(key, number))
        return Response(
            {
                "error_count": sum(1 for issue in issues if issue.level == ERROR),
                "issues": [
                    {
                        "level": i.level,
                        "channel": i.channel,
                        "locale": i.locale,
                        "field": i.field,
                        "line": i.line,
                        "message": i.message,
                    }
                    for i in issues
                ],
            }
        )


class PreviewRequestSerializer(serializers.Serializer):
    locale = serializers.CharField(default="")
    sample_data = serializers.JSONField(
        required=False, help_text="Data to render with instead of the saved sample data."
    )


class PreviewSerializer(serializers.Serializer):
    channel = serializers.CharField()
    locale = serializers.CharField()
    missing = serializers.BooleanField(help_text="The version has no content for it.")
    error = serializers.DictField(allow_null=True, help_text="{message, field, line}")
    rendered = serializers.DictField(
        allow_null=True,
        help_text="{subject, html, text, warnings, sms: {encoding, characters, units, "
        "segments, non_gsm_characters}}",
    )


def _preview_payload(preview: previews.ChannelPreview) -> dict[str, Any]:
    error = preview.error
    rendered = preview.rendered
    sms = rendered.sms if rendered is not None else None
    return {
        "channel": preview.channel,
        "locale": preview.locale,
        "missing": preview.missing,
        "error": {"message": error.message, "field": error.field, "line": error.line}
        if error
        else None,
        "rendered": {
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
            "sms": (
                {
                    "encoding": sms.encoding,
                    "characters": sms.characters,
                    "units": sms.units,
                    "segments": sms.segments,
                    "non_gsm_characters": list(sms.non_gsm_characters),
                }
                if sms
                else None
            ),
            "warnings": list(rendered.warnings),
        }
        if rendered is not None
        else None,
    }


class PreviewView(APIView):
    """Every channel of a version in one locale, rendered exactly as sending renders it
    (``templates_store.previews``): with the sample data (GET) or with given data (POST).
    A render error is returned in ``error``, never a blank."""

    required_permissions = {"GET": VIEW_VERSION, "POST": VIEW_VERSION}

    def _answer(self, key: str, number: int, locale: str, data: Any) -> Response:
        version = version_or_404(key, number)
        locales = [code for code, _name in settings.LANGUAGES]
        locale = locale or locales[0]
        if locale not in locales:
            raise ValidationError(
                {"locale": [_("Unknown language; one of: %(c)s.") % {"c": ", ".join(locales)}]}
            )
        if data is not None and not isinstance(data, dict):
            raise ValidationError({"sample_data": [_("Must be a JSON object ({...}).")]})
        channel_previews = previews.preview_version(version=version, locale=locale, data=data)
        return Response([_preview_payload(p) for p in channel_previews])

    @extend_schema(parameters=[OpenApiParameter("locale")], responses=PreviewSerializer(many=True))
    def get(self, request: Request, key: str, number: int) -> Response:
        return self._answer(key, number, request.query_params.get("locale", ""), None)

    @extend_schema(request=PreviewRequestSerializer, responses=PreviewSerializer(many=True))
    def post(self, request: Request, key: str, number: int) -> Response:
        payload = PreviewRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            key, number, payload.validated_data["locale"], payload.validated_data.get("sample_data")
        )


class PreviewPdfView(APIView):
    """The letter of a version as the PDF sending produces, with its sample data."""

    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(
        parameters=[OpenApiParameter("locale")],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            422: OpenApiResponse(description="The letter does not render: the reason."),
        },
    )
    def get(self, request: Request, key: str, number: int) -> HttpResponse:
        version = version_or_404(key, number)
        locale = request.query_params.get("locale") or settings.LANGUAGES[0][0]
        try:
            pdf = previews.preview_pdf_version(version=version, locale=locale)
        except RenderError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="{version.communication.key}-v{version.number}-{locale}.pdf"'
        )
        return response
