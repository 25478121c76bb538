"""Login lockouts (django-axes, ``AXES_HANDLER``): three limits over the failed logins of
the cool-off period (``CCM_LOGIN_COOLOFF_MINUTES``), each counted on axes' own
``AccessAttempt`` rows:

- a username on one address: ``AXES_FAILURE_LIMIT`` (``CCM_LOGIN_FAILURE_LIMIT``, 5);
- a username on every address together: ``CCM_LOGIN_USERNAME_FAILURE_LIMIT`` (20), so
  guesses spread over many addresses still stop;
- an address on every username together: ``CCM_LOGIN_ADDRESS_FAILURE_LIMIT`` (30), so
  one address cannot try a password on many accounts.

Reaching any of them locks that scope until the cool-off has passed since its last
counted failure. A login refused by a lock is not a failure (not counted, whatever the
password; ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` off): it neither renews the
lock nor adds to the other scopes. Towards the username-wide limit one address counts at
most ``AXES_FAILURE_LIMIT``, so locking a username out everywhere takes failures from
several addresses, never from one alone.

A successful login clears only its own username on its own address. The
address is ``ccm.client_address.client_address``; a login whose address is unknown is
refused with a 400 and not counted (an unknown address is no bucket of its own: counted,
it would lock every client without an address out together).
"""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# What ``request.ccm_login_lock`` says, for the lockout page.
PAIR, USERNAME, ADDRESS, UNKNOWN_ADDRESS = "pair", "username", "address", "unknown_address"


def _limits() -> list[tuple[str, tuple[str, ...], int]]:
    return [
        (PAIR, ("username", "ip_address"), settings.AXES_FAILURE_LIMIT),
        (USERNAME, ("username",), settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT),
        (ADDRESS, ("ip_address",), settings.CCM_LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per scope (see the module docstring)."""

    def is_allowed(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if request.axes_ip_address is None:
            request.ccm_login_lock = UNKNOWN_ADDRESS
            return False
        return bool(super().is_allowed(request, credentials))

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """AXES_FAILURE_LIMIT when any scope reached its own limit (axes then locks),
        else the failures of this username on this address."""
        values = {
            "username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address,
        }
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        pair_failures = 0
        for scope, fields, limit in _limits():
            if any(values[field] in (None, "") for field in fields):
                continue
            rows = recent.filter(**{field: values[field] for field in fields})
            if scope == USERNAME:
                per_address = rows.values("ip_address").annotate(total=Sum("failures_since_start"))
                cap = int(settings.AXES_FAILURE_LIMIT)
                failures = sum(min(row["total"] or 0, cap) for row in per_address)
            else:
                failures = rows.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures >= limit:
                request.ccm_login_lock = scope
                return int(settings.AXES_FAILURE_LIMIT)
            if scope == PAIR:
                pair_failures = failures
        return pair_failures

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        if request is not None and request.axes_ip_address is None:
            # Refused by is_allowed; nothing to count it under.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return
        super().user_login_failed(sender, credentials, request, **kwargs)

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """A success clears this username on this address only: an attacker logging in
        to their own account keeps what their address and the usernames it tried
        already count."""
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(
            username=username,
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
        return deleted


def login_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The lockout page (``AXES_LOCKOUT_CALLABLE``): 429 naming the limit reached, or
    400 when the request carries no usable client address."""
    scope = getattr(request, "ccm_login_lock", PAIR)
    limit = dict((name, value) for name, _, value in _limits()).get(scope)
    context = {
        "scope": scope,
        "failure_limit": limit,
        "pair_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": round(float(settings.AXES_COOLOFF_TIME) * 60),
    }
    status = 400 if scope == UNKNOWN_ADDRESS else 429
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
