from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SendResult:
    """What a backend reports for one message it accepted."""

    provider_message_id: str
    status: str = "sent"
    raw: dict[str, Any] = field(default_factory=dict)


_MISSING = object()


def get_backend_option(
    name: str, options: dict[str, Any], default: Any = _MISSING, *, setting: str
) -> Any:
    """Read one backend option; the error names the exact setting to add."""
    if name in options:
        return options[name]
    if default is _MISSING:
        raise ImproperlyConfigured(f'Add "{name}" to {setting}["OPTIONS"].')
    return default
