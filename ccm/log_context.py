"""Ids carried by every log record: the batch and message being worked on, the Celery task.

``log_context_bind(batch_id=..., message_id=...)`` sets them for the rest of the current
task (or request); ``LogContextFilter`` copies them onto each record, where the JSON
formatter writes them as fields (``batch_id``, ``message_id``, ``message_ids``,
``task_id``, ``task``). Celery's ``task_prerun`` binds the task's own ids from its
arguments (``batch_dispatch(batch_id)``, ``messages_send(message_ids)``) and
``task_postrun`` clears them, so tasks need no code for it.
"""

import contextvars
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pythonjsonlogger.json
from celery.signals import task_postrun, task_prerun

FIELDS = ("batch_id", "message_id", "message_ids", "task_id", "task")
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "ccm_log_context", default=None
)


def log_context_bind(**ids: Any) -> None:
    """Add ``ids`` (keys from FIELDS) to the context of the records logged from now on."""
    unknown = set(ids) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields: {sorted(unknown)}; use {FIELDS}")
    _context.set({**(_context.get() or {}), **ids})


def log_context_clear() -> None:
    _context.set(None)


def log_context() -> dict[str, Any]:
    return dict(_context.get() or {})


class LogContextFilter(logging.Filter):
    """Puts the bound ids on every record (None where unbound, so formats may name them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        return True


# Task name -> (argument name, position, log field).
_TASK_IDS = {
    "channels.tasks.batch_dispatch": ("batch_id", 0, "batch_id"),
    "channels.tasks.messages_send": ("message_ids", 0, "message_ids"),
}


def _task_ids(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if name not in _TASK_IDS:
        return {}
    argument, position, field = _TASK_IDS[name]
    if argument in kwargs:
        return {field: kwargs[argument]}
    if len(args) > position:
        return {field: args[position]}
    return {}


@task_prerun.connect(dispatch_uid="ccm.log_context.prerun")
def _bind_task(
    sender: Any = None,
    task_id: str | None = None,
    task: Any = None,
    args: Sequence[Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    **_: Any,
) -> None:
    name = getattr(task, "name", "") or ""
    log_context_clear()
    log_context_bind(task_id=task_id, task=name, **_task_ids(name, args or (), kwargs or {}))


@task_postrun.connect(dispatch_uid="ccm.log_context.postrun")
def _clear_task(**_: Any) -> None:
    log_context_clear()


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object a line; context ids that are not bound are left out."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value for key, value in log_data.items() if not (key in FIELDS and value is None)
        }
