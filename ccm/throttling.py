"""Per-client request rates for the API, counted in the cache under the client's token.

Every token has its own budget (``ApiToken.rate_limit``, else ``CCM_API_RATE_LIMIT``);
a person using the API through their session counts under their user, anyone else under
their address. Configure ``CCM_CACHE_URL`` (Redis) so that every web process shares the
counts.
"""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ccm.client_address import client_address
from ccm.models import ApiToken

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_PERIODS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """``"120/min"`` -> (120, 60). Raises ValueError naming the expected form."""
    count, _, period = rate.partition("/")
    if not count.strip().isdigit() or period.strip().lower() not in _PERIODS:
        raise ValueError(f"rate {rate!r} is not of the form <requests>/<sec|min|hour|day>")
    return int(count), _PERIODS[period.strip().lower()]


class ApiClientThrottle(SimpleRateThrottle):
    """A fixed budget of requests per client and period; over it, 429 with Retry-After."""

    scope = "api_client"

    def __init__(self) -> None:
        # The rate depends on the request's token: chosen in allow_request.
        pass

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            return f"throttle:api:token:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"throttle:api:user:{request.user.pk}"
        return f"throttle:api:addr:{self.get_ident(request)}"

    def get_ident(self, request: Request) -> str:
        # The address the trusted proxies saw (DRF's own reads X-Forwarded-For as sent);
        # requests without one share a budget.
        return client_address(request) or "unknown"

    def allow_request(self, request: Request, view: Any) -> bool:
        token_rate = request.auth.rate_limit if isinstance(request.auth, ApiToken) else ""
        self.rate = token_rate or settings.CCM_API_RATE_LIMIT
        self.num_requests, self.duration = rate_parse(self.rate)
        return super().allow_request(request, view)
