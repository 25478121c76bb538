"""The one place that reads the environment.

Every setting that varies between machines comes through these functions. A value
may also be given as a file (``NAME_FILE=/run/secrets/name``), which is how container
orchestrators hand out secrets. Bad values fail loudly at start-up, naming the variable.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable ``name`` (or the content of ``name_FILE``), else ``default``.

    Raises ImproperlyConfigured when neither is set and there is no default.
    """
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is None:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name, "1" if default else "0").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    value = env_str(name, str(default))
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_choices(name: str, default: str, choices: tuple[str, ...]) -> list[str]:
    """A comma-separated list drawn from ``choices``; ``none`` is the empty list.

    ``none`` exists because env-file readers (honcho, systemd) drop a variable whose value
    is empty, and the default would then apply without a word.
    """
    items = env_list(name, default)
    if items == ["none"]:
        return []
    unknown = [item for item in items if item not in choices]
    if unknown:
        raise ImproperlyConfigured(
            f"{name}={env_str(name, default)!r}: {', '.join(unknown)} is not one of "
            f"{', '.join(choices)} (or none)."
        )
    return items
