"""What every SMS backend that talks HTTP shares: one session per chunk (keep-alive), a
timeout on every call, and one mapping of HTTP failures to ``DeliveryError``.

Providers only build the request and read the response.
"""

from typing import Any

import requests

from channels.backends.base import get_backend_option
from channels.backends.sms.base import BaseSmsBackend
from channels.exceptions import BackendConfigurationError, DeliveryError

# Statuses after which the same request may succeed later.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RequestsSmsBackend(BaseSmsBackend):
    """Base of HTTP providers. ``request(...)`` returns the response of a 2xx call and
    raises ``DeliveryError``: transient for network errors, timeouts, 408/429/5xx;
    ``BackendConfigurationError`` for 401/403 (wrong credentials are fixed in settings,
    then the message goes); permanent for any other 4xx."""

    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.setting = f'SMS_BACKENDS["{alias}"]'
        self.timeout = float(get_backend_option("timeout", options, 10, setting=self.setting))
        self.session: requests.Session | None = None

    def option(self, name: str, default: Any = ...) -> Any:
        if default is ...:
            return get_backend_option(name, self.options, setting=self.setting)
        return get_backend_option(name, self.options, default, setting=self.setting)

    def open(self) -> None:
        if self.session is None:
            self.session = requests.Session()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if self.session is None:
            # Sending without open(): one session for this call only.
            self.open()
            try:
                return self.request(method, url, **kwargs)
            finally:
                self.close()
        assert self.session is not None
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise DeliveryError(
                f"{self.alias}: {type(exc).__name__}: {exc}", permanent=False
            ) from exc
        if response.ok:
            return response
        detail = f"{self.alias}: HTTP {response.status_code}: {response.text[:300]}"
        if response.status_code in (401, 403):
            raise BackendConfigurationError(f"{detail} (check the credentials in {self.setting})")
        raise DeliveryError(detail, permanent=response.status_code not in TRANSIENT_STATUSES)
