"""Read-only API over the archive; every search and view is recorded."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from ccm.permissions import request_user
from compliance import selectors, services
from compliance.models import AccessLog, ArchiveEntry


class ArchiveEntrySerializer(serializers.ModelSerializer):
    communication: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    version = serializers.IntegerField(source="version.number", read_only=True)
    customer: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True
    )
    batch = serializers.IntegerField(source="message.batch_id", read_only=True, default=None)

    class Meta:
        model = ArchiveEntry
        fields = [
            "id",
            "created_at",
            "is_test",
            "communication",
            "version",
            "content_hash",
            "customer",
            "batch",
            "channel",
            "locale",
            "recipient",
            "recipient_name",
            "subject",
            "artifact_sha256",
            "artifact_size",
            "content_type",
            "backend",
            "message_reference",
        ]


class ArchivePagination(CursorPagination):
    ordering = "-id"


class ArchiveEntryListView(generics.ListAPIView):
    required_permissions = {"GET": "compliance.view_archiveentry"}
    serializer_class = ArchiveEntrySerializer
    pagination_class = ArchivePagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", description="Recipient address/phone prefix, customer id or name"
            ),
            OpenApiParameter("channel", enum=["email", "sms", "print"]),
            OpenApiParameter("batch", int),
            OpenApiParameter("communication"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.access_log_record(
            actor=request_user(request),
            action=AccessLog.Action.SEARCH,
            query=dict(request.query_params.items()),  # type: ignore[arg-type]
        )
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        params = self.request.query_params
        batch = params.get("batch")
        return selectors.archive_entry_search(
            query=params.get("q", "").strip(),
            channel=params.get("channel", ""),
            batch=int(batch) if batch and batch.isdigit() else None,
            communication=params.get("communication", ""),
        )


class ArchiveEntryDetailView(generics.RetrieveAPIView):
    required_permissions = {"GET": "compliance.view_archiveentry"}
    serializer_class = ArchiveEntrySerializer
    queryset = ArchiveEntry.objects.select_related(
        "communication", "version", "customer", "message"
    )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        services.access_log_record(
            actor=request_user(request), action=AccessLog.Action.VIEW, entry=entry
        )
        return Response(self.get_serializer(entry).data)
