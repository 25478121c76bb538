"""REST API for the studio's work on versions: drafts and their content, lint, preview,
review (four eyes, the same services as the pages), publishing, export and import.

Each view names the permission every HTTP method needs (``ccm.permissions.RolePermission``);
the services enforce the rest (only a draft changes, the author never approves).
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.parsers import read_limited
from ccm.permissions import request_user
from ccm.vocabulary import Channel
from rendering.exceptions import RenderError
from templates_store import exchange, previews, selectors, services
from templates_store.api import (
    VariantSerializer,
    VersionSerializer,
    bad_request,
    communication_or_404,
    version_or_404,
)
from templates_store.lint import ERROR, version_lint
from templates_store.models import TemplateVersion

VIEW_VERSION = "templates_store.view_templateversion"
ADD_VERSION = "templates_store.add_templateversion"
CHANGE_VERSION = "templates_store.change_templateversion"
SUBMIT_VERSION = "templates_store.submit_templateversion"
REVIEW_VERSION = "templates_store.review_templateversion"
PUBLISH_VERSION = "templates_store.publish_templateversion"


def _version_response(request: Request, version: TemplateVersion, code: int = 200) -> Response:
    fresh = selectors.version_with_content(pk=version.pk)
    return Response(VersionSerializer(fresh, context={"request": request}).data, status=code)


# DRAFTS AND CONTENT -------------------------------------------------------------------


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
        return _version_response(request, version, status.HTTP_201_CREATED)


class VersionDetailView(APIView):
    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, key: str, number: int) -> Response:
        return _version_response(request, version_or_404(key, number))


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


# CHECKS AND PREVIEW -------------------------------------------------------------------


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


# REVIEW AND PUBLISHING ----------------------------------------------------------------


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PublishSerializer(CommentSerializer):
    publish_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Effective time with its offset (ISO 8601). In the future: the version is "
        "scheduled and becomes the published one at that time; empty or past: at once.",
    )


class _StepView(APIView):
    """A POST that runs one review or publishing service on the version."""

    serializer: type[serializers.Serializer] = CommentSerializer
    created = False

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def post(self, request: Request, key: str, number: int) -> Response:
        version = version_or_404(key, number)
        payload = self.serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            version = self.step(version, request, dict(payload.validated_data))
        except DjangoValidationError as exc:
            raise bad_request(exc) from exc
        return _version_response(request, version)


def _step_schema(serializer: type[serializers.Serializer] | None, description: str) -> Any:
    return extend_schema(
        request=serializer,
        responses={
            200: VersionSerializer,
            400: OpenApiResponse(description="The step is not possible now: the reason."),
            403: OpenApiResponse(description="The role, or four eyes, does not allow it."),
        },
        description=description,
    )


class SubmitView(_StepView):
    required_permissions = {"POST": SUBMIT_VERSION}
    serializer = serializers.Serializer

    @_step_schema(None, "Freeze a draft for review; lint errors refuse it (400, each named).")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_submit(version=version, actor=request_user(request))


class ApproveView(_StepView):
    required_permissions = {"POST": REVIEW_VERSION}

    @_step_schema(CommentSerializer, "Approve a version in review. The author never may (403).")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_approve(
            version=version, actor=request_user(request), comment=data["comment"]
        )


class RejectView(_StepView):
    required_permissions = {"POST": REVIEW_VERSION}

    @_step_schema(
        CommentSerializer, "Send a version in review back to draft; the comment says why."
    )
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_reject(
            version=version, actor=request_user(request), comment=data["comment"]
        )


class PublishView(_StepView):
    required_permissions = {"POST": PUBLISH_VERSION}
    serializer = PublishSerializer

    @_step_schema(PublishSerializer, "Publish an approved version now or from `publish_at`.")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_publish(
            version=version,
            actor=request_user(request),
            publish_at=data.get("publish_at"),
            comment=data["comment"],
        )


class UnscheduleView(_StepView):
    required_permissions = {"POST": PUBLISH_VERSION}
    serializer = serializers.Serializer

    @_step_schema(None, "Cancel a scheduled publication that has not taken effect.")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_unschedule(version=version, actor=request_user(request))


class RetireView(_StepView):
    required_permissions = {"POST": PUBLISH_VERSION}

    @_step_schema(CommentSerializer, "Retire a published or approved version.")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_retire(
            version=version, actor=request_user(request), comment=data["comment"]
        )


class RollbackView(_StepView):
    required_permissions = {"POST": PUBLISH_VERSION}

    @_step_schema(CommentSerializer, "Publish this earlier approved version again, at once.")
    def post(self, request: Request, key: str, number: int) -> Response:
        return super().post(request, key, number)

    def step(
        self, version: TemplateVersion, request: Request, data: dict[str, Any]
    ) -> TemplateVersion:
        return services.version_rollback(
            version=version, actor=request_user(request), comment=data["comment"]
        )


# EXPORT AND IMPORT --------------------------------------------------------------------


def _zip_response(files: dict[str, bytes], name: str) -> HttpResponse:
    response = HttpResponse(
        exchange.files_to_zip(files, folder=name), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


ZIP_RESPONSE = {(200, "application/zip"): OpenApiTypes.BINARY}


class CommunicationExportView(APIView):
    """The communication with its latest version as a zip of plain files (docs/studio.md)."""

    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(responses=ZIP_RESPONSE)
    def get(self, request: Request, key: str) -> HttpResponse:
        communication = communication_or_404(key)
        return _zip_response(exchange.communication_files(communication=communication), key)


class VersionExportView(APIView):
    """The communication with this version's content as a zip of plain files."""

    required_permissions = {"GET": VIEW_VERSION}

    @extend_schema(responses=ZIP_RESPONSE)
    def get(self, request: Request, key: str, number: int) -> HttpResponse:
        version = version_or_404(key, number)
        files = exchange.communication_files(communication=version.communication, version=version)
        return _zip_response(files, key)


class ImportProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    field = serializers.CharField()
    reason = serializers.CharField()


class ImportRefusedSerializer(serializers.Serializer):
    problems = ImportProblemSerializer(many=True)


class ZipParser(BaseParser):
    """An ``application/zip`` body, handed on as the ``file`` field."""

    media_type = "application/zip"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # Read at most the limit (413 past it): an export is a few files of text.
        data = read_limited(stream, limit=settings.CCM_API_MAX_JSON_BYTES) if stream else b""
        return {"file": io.BytesIO(data)}


class CommunicationImportView(APIView):
    """Import a zip written by an export (the body, ``application/zip``, or a multipart
    ``file``): the communication is created or updated and gets a new draft version.
    Nothing is written when any file has a problem; each is listed."""

    required_permissions = {"POST": ADD_VERSION}
    parser_classes = [ZipParser, MultiPartParser]

    @extend_schema(
        request={
            "application/zip": OpenApiTypes.BINARY,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
        },
        responses={
            201: VersionSerializer,
            400: ImportRefusedSerializer,
            403: OpenApiResponse(description="The role may not create or change it."),
        },
    )
    def post(self, request: Request) -> Response:
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None:
            reason = _("Send the zip as the body or as a 'file' field.")
            return Response(
                {"problems": [{"file": "(request)", "field": "file", "reason": reason}]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            files = exchange.files_from_zip(upload.read())
            version = exchange.communication_import(files=files, actor=request_user(request))
        except exchange.CommunicationFilesError as exc:
            return Response(
                {"problems": [p.as_dict() for p in exc.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return _version_response(request, version, status.HTTP_201_CREATED)
