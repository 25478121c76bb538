"""Public pages reached from links inside emails (no account; every token is signed):
one-click unsubscribe, tracked link redirects and the open pixel."""

import base64

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from channels.email_links import (
    EmailLinkError,
    click_token_read,
    open_token_read,
    unsubscribe_token_read,
)
from channels.models import Message
from channels.pipeline.transitions import message_clicked, message_opened
from channels.services.events import message_unsubscribe

# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _refused(request: HttpRequest) -> HttpResponse:
    return render(request, "channels/email_link_refused.html", status=404)


# Mail clients POST "List-Unsubscribe=One-Click" without any cookie or CSRF token
# (RFC 8058); the signed token is what authorises the request.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a page with a button (a person clicking the link, or a link scanner that
    must not unsubscribe anyone); POST unsubscribes."""
    try:
        message = Message.objects.select_related("customer").get(pk=unsubscribe_token_read(token))
    except (EmailLinkError, Message.DoesNotExist):
        return _refused(request)
    # The page speaks the language the email was written in.
    with translation.override(message.locale):
        if request.method == "POST":
            message_unsubscribe(message=message)
            return render(request, "channels/unsubscribe_done.html")
        return render(request, "channels/unsubscribe_confirm.html")


@never_cache
@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click and redirect to the link's target, which the signature covers."""
    try:
        target = click_token_read(token)
        message = Message.objects.get(pk=target.message_id)
    except (EmailLinkError, Message.DoesNotExist):
        return _refused(request)
    message_clicked(message=message, url=target.url)
    return HttpResponseRedirect(target.url)


@never_cache
@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: always a transparent GIF; an open is recorded for a valid token."""
    try:
        message = Message.objects.get(pk=open_token_read(token))
    except (EmailLinkError, Message.DoesNotExist):
        pass
    else:
        message_opened(message=message)
    return HttpResponse(PIXEL, content_type="image/gif")
