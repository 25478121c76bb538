"""The object endpoints of the API and the pages, and what a second client of the same role
gets for the first client's objects (used by the role matrices in this folder).

A client is a user (``ccm.roles``): every endpoint below answers the owner, and answers
another client of the same role 404 (detail, writes) or leaves the object out (lists),
unless the role spans clients (``VIEW_EVERY_CLIENT`` for reads).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from ccm.roles import CANCEL_EVERY_CLIENT, ROLE_PERMISSIONS, VIEW_EVERY_CLIENT
from channels.models import WebhookDelivery, WebhookEndpoint
from channels.services import batch_create, message_create
from tests.factories.templates_store import SAMPLE, published_version

LIST, DETAIL, WRITE = "list", "detail", "write"


@dataclass(frozen=True)
class ObjectEndpoint:
    name: str  # the URL name in channels/api_urls.py
    method: str
    path: str  # formatted with the first client's objects
    permission: str
    kind: str  # LIST: the object is in the answer's ids; DETAIL/WRITE: 200 or 404
    listed: str = ""  # LIST: which object's id the answer should (not) hold
    spans: str = ""  # the permission that lets a role reach other clients' objects


OBJECT_ENDPOINTS = [
    ObjectEndpoint(
        "api-batch-list", "GET", "/api/batches", "channels.view_batch", LIST, "batch",
        VIEW_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-batch-detail", "GET", "/api/batches/{batch}", "channels.view_batch", DETAIL,
        spans=VIEW_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-batch-messages", "GET", "/api/batches/{batch}/messages", "channels.view_message",
        DETAIL, spans=VIEW_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-message-detail", "GET", "/api/messages/{message}", "channels.view_message",
        DETAIL, spans=VIEW_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-message-detail", "GET", "/api/messages/{realtime}", "channels.view_message",
        DETAIL, spans=VIEW_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-batch-cancel", "POST", "/api/batches/{batch}/cancel", "channels.cancel_batch",
        WRITE, spans=CANCEL_EVERY_CLIENT,
    ),
    ObjectEndpoint(
        "api-webhook-endpoints", "GET", "/api/webhooks/endpoints", "channels.view_batch", LIST,
        "endpoint",
    ),
    ObjectEndpoint(
        "api-webhook-deliveries", "GET", "/api/webhooks/deliveries", "channels.view_batch",
        LIST, "delivery",
    ),
    ObjectEndpoint(
        "api-webhook-retry", "POST", "/api/webhooks/deliveries/{delivery}/retry",
        "channels.add_batch", WRITE,
    ),
]  # fmt: skip

# Endpoints of channels/api_urls.py that only create: what they make belongs to the caller.
CREATE_ONLY = {"api-message-create"}

OBJECT_ENDPOINT_PARAMS = [
    pytest.param(e, id=f"{e.method} {e.path}") for e in OBJECT_ENDPOINTS
]  # fmt: skip


def first_clients_objects(owner: User) -> dict[str, int]:
    """A scheduled batch (cancellable) with one message, a real-time message, a webhook
    endpoint and a dead delivery (retryable) of ``owner``: their ids by name."""
    version = published_version()
    batch = batch_create(
        communication=version.communication,
        rows=[{"email": "first@example.com", "name": "Ana Lima", "data": SAMPLE}],
        created_by=owner,
        send_at=timezone.now() + dt.timedelta(days=1),
    )
    realtime = message_create(
        communication=version.communication,
        row={"email": "first@example.com", "data": SAMPLE},
        requested_by=owner,
    )
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url="https://first.example.com/hook", secret="whsec_first"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=f"evt_{owner.pk}",
        event_type="message.sent",
        payload={},
        status=WebhookDelivery.Status.DEAD,
        next_attempt_at=timezone.now(),
    )
    return {
        "batch": batch.pk,
        "message": batch.messages.get().pk,
        "realtime": realtime.pk,
        "endpoint": endpoint.pk,
        "delivery": delivery.pk,
    }


def role_reaches(role: str, endpoint: ObjectEndpoint) -> bool:
    """Whether ``role`` may use the endpoint at all."""
    return endpoint.permission in ROLE_PERMISSIONS[role]


def role_spans_clients(role: str, endpoint: ObjectEndpoint) -> bool:
    """Whether ``role`` reaches other clients' objects through the endpoint."""
    return bool(endpoint.spans) and endpoint.spans in ROLE_PERMISSIONS[role]


def assert_answer(
    endpoint: ObjectEndpoint, objects: dict[str, int], response: Any, *, sees: bool, who: Any
) -> None:
    """The answer shows the first client's object when ``sees``, and hides it otherwise."""
    if endpoint.kind == LIST:
        assert response.status_code == 200, (who, response.status_code)
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        ids = [row["id"] for row in rows]
        assert (objects[endpoint.listed] in ids) is sees, (who, ids)
    else:
        expected = 200 if sees else 404
        assert response.status_code == expected, (who, response.status_code, response.content)


# THE PAGES ------------------------------------------------------------------------------
# The same rule for the pages a person signs in to: a LIST page shows the first client's
# batch when ``marker`` (formatted with its objects) is in the HTML; a DETAIL page answers
# 200 or 404; a WRITE page redirects (302) or answers 404.


@dataclass(frozen=True)
class ObjectPage:
    name: str  # the URL name, with its namespace
    method: str
    path: str  # formatted with the first client's objects
    permission: str
    kind: str
    marker: str = ""  # LIST: what shows the first client's batch in the page
    spans: str = ""


OBJECT_PAGES = [
    ObjectPage(
        "channels:batch_list", "GET", "/batches/", "channels.view_batch", LIST,
        "/batches/{batch}/", VIEW_EVERY_CLIENT,
    ),
    ObjectPage(
        "channels:batch_detail", "GET", "/batches/{batch}/", "channels.view_batch", DETAIL,
        spans=VIEW_EVERY_CLIENT,
    ),
    ObjectPage(
        "channels:batch_progress", "GET", "/batches/{batch}/progress/", "channels.view_batch",
        DETAIL, spans=VIEW_EVERY_CLIENT,
    ),
    ObjectPage(
        "channels:batch_cancel", "POST", "/batches/{batch}/cancel/", "channels.cancel_batch",
        WRITE, spans=CANCEL_EVERY_CLIENT,
    ),
    ObjectPage(
        "insight:dashboard", "GET", "/insight/", "insight.view_insight", LIST,
        "/insight/batches/{batch}/", VIEW_EVERY_CLIENT,
    ),
]  # fmt: skip

# Pages of channels/urls.py that reach no existing batch or message: the upload steps
# answer only a file this session uploaded, and what they make belongs to the uploader.
SESSION_ONLY_PAGES = {
    "channels:batch_upload",
    "channels:batch_upload_preview",
    "channels:batch_upload_confirm",
    "channels:batch_upload_discard",
}
# Pages naming a batch that show aggregate figures only (counts and rates, no recipient,
# no message): every client's batch may be named there.
AGGREGATE_PAGES = {"insight:batch"}

OBJECT_PAGE_PARAMS = [pytest.param(p, id=f"{p.method} {p.path}") for p in OBJECT_PAGES]


def page_role_reaches(role: str, page: ObjectPage) -> bool:
    return page.permission in ROLE_PERMISSIONS[role]


def page_role_spans_clients(role: str, page: ObjectPage) -> bool:
    return bool(page.spans) and page.spans in ROLE_PERMISSIONS[role]


def assert_page(
    page: ObjectPage, objects: dict[str, int], response: Any, *, sees: bool, who: Any
) -> None:
    """The page shows (or acts on) the first client's batch when ``sees``, and answers as
    if it did not exist otherwise."""
    if page.kind == LIST:
        assert response.status_code == 200, (who, response.status_code)
        shown = page.marker.format(**objects) in response.content.decode()
        assert shown is sees, (who, page.marker.format(**objects))
    else:
        found = 302 if page.kind == WRITE else 200
        expected = found if sees else 404
        assert response.status_code == expected, (who, response.status_code)
