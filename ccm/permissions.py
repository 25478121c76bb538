from typing import Any

from django.contrib.auth.models import User
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class RolePermission(BasePermission):
    """Every API view declares ``required_permissions = {"GET": "app.perm", ...}``.

    A method the view does not list is refused, so a new endpoint is closed until its
    author says who may use it.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        required: dict[str, str] = getattr(view, "required_permissions", {})
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        perm = required.get(method or "")
        if perm is None:
            return False
        return request.user.has_perm(perm)


def request_user(request: Request) -> User:
    """The user of a request that RolePermission let through (always authenticated)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
