"""Who may open a page: the decorators every app's views use, and the request type of a
view behind them.

A page checks a login first (anonymous visitors go to the login page), then its
permission (a person without it gets 403), before anything is looked up. The role by
endpoint matrix (``tests/ccm/test_role_endpoint_matrix.py``) reads the permissions back
from these decorators' closures: ``permission_required``'s ``perms`` (all of) and
``requires_any``'s ``perms`` (any of)."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind ``requires`` / ``requires_any``: its user is logged
    in."""

    user: User


def requires(perm: str) -> Callable[[View], View]:
    """Login, then ``perm`` or 403: checked before anything is looked up."""

    def decorator(view: View) -> View:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def requires_any(*perms: str) -> Callable[[View], View]:
    """Login, then at least one of ``perms`` or 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not any(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(cast(View, wrapped))

    return decorator
