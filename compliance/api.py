"""Read-only API over the archive; every search and view is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from ccm.permissions import request_user
from ccm.vocabulary import Channel, MessageStatus
from compliance import services
from compliance.models import AccessLog, ArchiveEntry
from compliance.selectors import search as selectors


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
            OpenApiParameter("version", int),
            OpenApiParameter("status", description="The message's delivery status"),
            OpenApiParameter("words", description="Words in the email subject or SMS text"),
            OpenApiParameter("date_from", dt.date),
            OpenApiParameter("date_to", dt.date),
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
        params = ArchiveSearchParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        entries = selectors.archive_entry_search(
            query=values.get("q", "").strip(),
            channel=values.get("channel", ""),
            batch=values.get("batch"),
            communication=values.get("communication", ""),
            version=values.get("version"),
            status=values.get("status", ""),
            words=values.get("words", "").strip(),
        )
        return selectors.archive_entries_between(
            entries=entries, date_from=values.get("date_from"), date_to=values.get("date_to")
        )


class ArchiveSearchParams(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.values, required=False)
    batch = serializers.IntegerField(required=False, min_value=1)
    communication = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=MessageStatus.values, required=False)
    words = serializers.CharField(required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


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
