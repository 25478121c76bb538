"""Backends per channel family, configured like Django's STORAGES.

``sms_backends["default"]`` and ``print_backends["default"]`` give a backend instance built
from ``SMS_BACKENDS`` / ``PRINT_BACKENDS``. Email uses Django's own mail backends.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.connection import BaseConnectionHandler
from django.utils.module_loading import import_string


class _BackendsHandler(BaseConnectionHandler):
    exception_class = ImproperlyConfigured

    def configure_settings(self, settings_value: dict[str, Any] | None) -> dict[str, Any]:
        return (
            getattr(settings, str(self.settings_name)) if settings_value is None else settings_value
        )

    def create_connection(self, alias: str) -> Any:
        params = self.settings[alias]
        backend_path = params.get("BACKEND")
        if not backend_path:
            raise ImproperlyConfigured(f'{self.settings_name}["{alias}"] has no "BACKEND".')
        backend_class = import_string(backend_path)
        return backend_class(alias=alias, **params.get("OPTIONS", {}))


class SmsBackendsHandler(_BackendsHandler):
    settings_name = "SMS_BACKENDS"


class PrintBackendsHandler(_BackendsHandler):
    settings_name = "PRINT_BACKENDS"


sms_backends = SmsBackendsHandler()
print_backends = PrintBackendsHandler()
