"""REST API for batches and their messages."""

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

from ccm.idempotency import idempotent
from ccm.permissions import request_user
from ccm.request_bodies import body_spool, is_streamed
from channels import selectors, services
from channels.models import Batch, Message
from channels.services.recipient_reads import recipient_read_record
from channels.uploads.encodings import declared_encoding
from channels.uploads.formats import CSV, JSONL, UploadError
from channels.uploads.reading import upload_rows
from templates_store.models import Communication


class BatchCreateSerializer(serializers.Serializer):
    communication = serializers.SlugField(
        help_text="Key of a communication with a published version."
    )
    # Rows are validated one by one by the service so that a bad row is reported, not fatal.
    recipients = serializers.ListField(child=serializers.JSONField(), allow_empty=False)
    send_at = serializers.DateTimeField(
        required=False, help_text="Scheduled send: nothing goes before this time."
    )


class BatchStreamParamsSerializer(serializers.Serializer):
    """Query parameters of a CSV or JSON Lines batch body."""

    communication = serializers.SlugField()
    send_at = serializers.DateTimeField(required=False)


class BatchSerializer(serializers.ModelSerializer):
    communication: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    version = serializers.IntegerField(source="version.number", read_only=True)
    progress = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-batch-detail")

    class Meta:
        model = Batch
        fields = [
            "id",
            "url",
            "communication",
            "version",
            "status",
            "source",
            "send_at",
            "total_rows",
            "rejected_rows",
            "progress",
            "created_at",
            "finished_at",
        ]

    def get_progress(self, batch: Batch) -> dict[str, Any]:
        return selectors.batch_progress(batch=batch)


class MessageSerializer(serializers.ModelSerializer):
    customer: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "row_number",
            "customer",
            "channel",
            "locale",
            "recipient",
            "status",
            "attempts",
            "last_error",
            "message_id",
            "provider_message_id",
            "sent_at",
            "updated_at",
        ]


class BatchListCreateView(APIView):
    """List batches, or submit one: 202 Accepted with the batch resource."""

    required_permissions = {"GET": "channels.view_batch", "POST": "channels.add_batch"}

    @extend_schema(
        operation_id="batches_list",
        responses=inline_serializer(
            "PaginatedBatchList",
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": BatchSerializer(many=True),
            },
        ),
        parameters=[OpenApiParameter("cursor", description="The page's cursor.")],
    )
    def get(self, request: Request) -> Response:
        paginator = CursorPagination()
        paginator.ordering = "-created_at"
        batches = selectors.batches_of_client(viewer=request_user(request))
        page = paginator.paginate_queryset(batches, request, view=self)
        data = BatchSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request={
            "application/json": BatchCreateSerializer,
            "text/csv": {
                "type": "string",
                "description": "Header row, then one recipient a row; "
                "contact columns customer_id, name, email, phone, address, locale, channel; "
                "every other column (or data.<field>) is template data.",
            },
            "application/x-ndjson": {
                "type": "string",
                "description": "One recipient object a line.",
            },
        },
        responses={202: BatchSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description="Same key + same body replays the first answer.",
            ),
            OpenApiParameter(
                "communication", description="With a CSV or JSON Lines body: the communication key."
            ),
            OpenApiParameter(
                "send_at", description="With a CSV or JSON Lines body: scheduled send time."
            ),
            OpenApiParameter(
                "encoding", description="With a CSV body not in UTF-8: its encoding (cp932)."
            ),
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if is_streamed(request):
            # CSV or JSON Lines: the communication comes in the query string, the rows
            # are read from the spooled body one at a time.
            params = BatchStreamParamsSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            values = params.validated_data
            communication = self._communication(values["communication"])
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            rows = upload_rows(
                file=body_spool(request).file,
                format=CSV if content_type == "text/csv" else JSONL,
                schema=communication.data_schema,
                encoding=declared_encoding(
                    content_type=request.content_type,
                    parameter=request.query_params.get("encoding"),
                ),
            )
        else:
            payload = BatchCreateSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            values = payload.validated_data
            communication = self._communication(values["communication"])
            rows = values["recipients"]
        try:
            batch = services.batch_create(
                communication=communication,
                rows=rows,
                created_by=request_user(request),
                source="api",
                send_at=values.get("send_at"),
            )
        except UploadError as exc:
            raise ValidationError({"body": [str(exc)]}) from exc
        except DjangoValidationError as exc:
            raise ValidationError({"communication": exc.messages}) from exc
        body = BatchSerializer(batch, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @staticmethod
    def _communication(key: str) -> Communication:
        communication = Communication.objects.filter(key=key).first()
        if communication is None:
            raise ValidationError({"communication": ["No communication with this key."]})
        return communication


class BatchDetailView(generics.RetrieveAPIView):
    required_permissions = {"GET": "channels.view_batch"}
    serializer_class = BatchSerializer
    queryset = Batch.objects.none()  # names the model for the schema; requests use the next

    def get_queryset(self) -> Any:
        return selectors.batches_of_client(viewer=request_user(self.request))


class BatchCancelView(APIView):
    required_permissions = {"POST": "channels.cancel_batch"}

    @extend_schema(request=None, responses=BatchSerializer)
    def post(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(
            selectors.batches_of_client(viewer=request_user(request), for_cancel=True), pk=pk
        )
        try:
            services.batch_cancel(batch=batch)
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        batch.refresh_from_db()
        return Response(BatchSerializer(batch, context={"request": request}).data)


class MessagePagination(CursorPagination):
    ordering = "id"


class BatchMessageListView(generics.ListAPIView):
    """The recipients of a batch, page by page; every page read is in the access log."""

    required_permissions = {"GET": "channels.view_message"}
    serializer_class = MessageSerializer
    pagination_class = MessagePagination
    queryset = Message.objects.none()  # names the model for the schema; list reads the batch

    @extend_schema(parameters=[OpenApiParameter("status", enum=Message.Status.values)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reader = request_user(request)
        batch = get_object_or_404(selectors.batches_of_client(viewer=reader), pk=self.kwargs["pk"])
        wanted = request.query_params.get("status")
        if wanted and wanted not in Message.Status.values:
            raise ValidationError(
                {"status": [f"Unknown status; one of {', '.join(Message.Status.values)}."]}
            )
        page = self.paginate_queryset(selectors.message_list(batch=batch, status=wanted)) or []
        recipient_read_record(
            reader=reader,
            api=f"GET {request.path}",
            message_ids=[m.pk for m in page],
            batch_id=batch.pk,
            status=wanted,
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MessageCreateSerializer(serializers.Serializer):
    communication = serializers.SlugField(
        help_text="Key of a communication with a published version."
    )
    recipient = serializers.JSONField(help_text="One recipient row, as in a batch.")


class MessageDetailSerializer(MessageSerializer):
    communication: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="version.communication", slug_field="key", read_only=True
    )
    events = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "communication", "batch", "events"]

    def get_events(self, message: Message) -> list[dict[str, Any]]:
        return [{"kind": e.kind, "at": e.at, "detail": e.detail} for e in message.events.all()]


class MessageCreateView(APIView):
    """One real-time message (a one-time code, an order confirmation), sent at once."""

    required_permissions = {"POST": "channels.add_batch"}

    @extend_schema(
        request=MessageCreateSerializer,
        responses={202: MessageDetailSerializer},
        parameters=[
            OpenApiParameter("Idempotency-Key", location=OpenApiParameter.HEADER, required=False)
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        payload = MessageCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        communication = Communication.objects.filter(
            key=payload.validated_data["communication"]
        ).first()
        if communication is None:
            raise ValidationError({"communication": ["No communication with this key."]})
        try:
            message = services.message_create(
                communication=communication,
                row=payload.validated_data["recipient"],
                requested_by=request_user(request),
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from exc
        message.refresh_from_db()
        # The answer holds the recipient, looked up from the customer when the row names one.
        recipient_read_record(
            reader=request_user(request), api=f"POST {request.path}", message_ids=[message.pk]
        )
        return Response(MessageDetailSerializer(message).data, status=status.HTTP_202_ACCEPTED)


class MessageDetailView(generics.RetrieveAPIView):
    """One message with its recipient and events; every read is in the access log."""

    required_permissions = {"GET": "channels.view_message"}
    serializer_class = MessageDetailSerializer
    queryset = Message.objects.none()  # names the model for the schema; requests use the next

    def get_queryset(self) -> Any:
        viewer = request_user(self.request)
        return selectors.messages_of_client(viewer=viewer).prefetch_related("events")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = self.get_object()
        recipient_read_record(
            reader=request_user(request),
            api=f"GET {request.path}",
            message_ids=[message.pk],
            batch_id=message.batch_id,
        )
        return Response(self.get_serializer(message).data)
