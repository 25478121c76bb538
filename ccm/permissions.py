from typing import Any

from django.contrib.auth.models import User
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ccm.models import ApiToken

# What an API token may be limited to, on top of its user's role.
SEND = "send"
READ_STATUS = "read_status"
MANAGE_TEMPLATES = "manage_templates"
READ_ARCHIVE = "read_archive"
SCOPES = (SEND, READ_STATUS, MANAGE_TEMPLATES, READ_ARCHIVE)

# The scope a token needs for a view's required permission. A permission missing here is
# refused to every token (a new kind of endpoint is closed to tokens until it is listed).
PERMISSION_SCOPES: dict[str, str] = {
    "channels.add_batch": SEND,
    "channels.cancel_batch": SEND,
    "customers.add_customer": SEND,
    "customers.change_customer": SEND,
    "channels.view_batch": READ_STATUS,
    "channels.view_message": READ_STATUS,
    "customers.view_customer": READ_STATUS,
    "templates_store.view_communication": MANAGE_TEMPLATES,
    "templates_store.add_communication": MANAGE_TEMPLATES,
    "templates_store.change_communication": MANAGE_TEMPLATES,
    "templates_store.view_templateversion": MANAGE_TEMPLATES,
    "templates_store.add_templateversion": MANAGE_TEMPLATES,
    "templates_store.change_templateversion": MANAGE_TEMPLATES,
    "templates_store.submit_templateversion": MANAGE_TEMPLATES,
    "templates_store.review_templateversion": MANAGE_TEMPLATES,
    "templates_store.publish_templateversion": MANAGE_TEMPLATES,
    "insight.view_insight": READ_STATUS,
    "compliance.view_archiveentry": READ_ARCHIVE,
    "compliance.view_legalhold": READ_ARCHIVE,
}


def required_scope(view: Any, method: str, permission: str) -> str | tuple[str, ...] | None:
    """The scope a token needs: the view's ``required_scopes[method]`` if it declares one
    (``""`` = any token; a tuple = any one of these scopes), else the scope of the
    required permission."""
    declared: dict[str, str | tuple[str, ...]] = getattr(view, "required_scopes", {})
    if method in declared:
        return declared[method]
    return PERMISSION_SCOPES.get(permission)


class RolePermission(BasePermission):
    """Every API view declares ``required_permissions = {"GET": "app.perm", ...}``.

    A method the view does not list is refused, so a new endpoint is closed until its
    author says who may use it. A request made with an API token also needs the token's
    scope for that permission (``PERMISSION_SCOPES``); a people's session needs none.
    """

    message = "You do not have permission to perform this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        required: dict[str, str] = getattr(view, "required_permissions", {})
        method = "GET" if request.method in ("HEAD", "OPTIONS") else (request.method or "")
        perm = required.get(method)
        if perm is None:
            return False
        if not request.user.has_perm(perm):
            return False
        if isinstance(request.auth, ApiToken):
            scope = required_scope(view, method, perm)
            if scope is None:
                return False
            scopes = (scope,) if isinstance(scope, str) else scope
            if scope and not any(request.auth.has_scope(s) for s in scopes):
                wanted = " or ".join(repr(s) for s in scopes)
                raise PermissionDenied(f"This token lacks the {wanted} scope.")
        return True


def request_user(request: Request) -> User:
    """The user of a request that RolePermission let through (always authenticated)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
