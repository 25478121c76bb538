"""REST API for review (four eyes, the same services as the pages) and publishing: one
POST per step (submit, approve, reject, publish, unschedule, retire, roll back), each
answering with the version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.permissions import request_user
from templates_store import services
from templates_store.api import VersionSerializer, bad_request, version_or_404, version_response
from templates_store.models import TemplateVersion
from templates_store.permissions import PUBLISH_VERSION, REVIEW_VERSION, SUBMIT_VERSION


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
        return version_response(request, version)


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
