"""REST API for communications as plain files: export as a zip (the latest version or a
given one), and import of such a zip as a new draft (docs/studio.md)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccm.parsers import read_limited
from ccm.permissions import request_user
from templates_store import exchange
from templates_store.api import (
    VersionSerializer,
    communication_or_404,
    version_or_404,
    version_response,
)
from templates_store.permissions import ADD_VERSION, VIEW_VERSION


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
        return version_response(request, version, status.HTTP_201_CREATED)
