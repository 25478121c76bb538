from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootView(APIView):
    """Entry point of the API: links to every resource and to the schema."""

    required_permissions = {"GET": "templates_store.view_communication"}
    # Only links: any token may read it, whatever its scopes.
    required_scopes = {"GET": ""}

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def link(name: str) -> str:
            return reverse(name, request=request)

        return Response(
            {
                "communications": link("api-communication-list"),
                "batches": link("api-batch-list"),
                "archive": link("api-archive-list"),
                "schema": link("schema"),
                "docs": link("api-docs"),
            }
        )
