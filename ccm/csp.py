"""Content-Security-Policy on the HTML pages of the platform (django-csp)."""

from typing import Any

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase


class HtmlCSPMiddleware(CSPMiddleware):
    """The policy on HTML responses only: a PDF letter shown in a frame keeps the
    browser's PDF viewer (which ``object-src 'none'`` would block), and files and JSON
    have nothing a policy could protect."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
