"""Metrics, error reports and logging."""

from django.core.exceptions import ImproperlyConfigured

from ccm.env import env_int, env_list, env_str

# OPERATIONS ---------------------------------------------------------------------------
# /metrics answers a request with "Authorization: Bearer <CCM_METRICS_TOKEN>" or from an
# address or network in CCM_METRICS_ALLOWED_IPS; with neither it answers 403.
CCM_METRICS_TOKEN = env_str("CCM_METRICS_TOKEN", "")
CCM_METRICS_ALLOWED_IPS = env_list("CCM_METRICS_ALLOWED_IPS", "")
# A Celery worker serves its host's samples on this port (0: off), for hosts with no web.
CCM_WORKER_METRICS_PORT = env_int("CCM_WORKER_METRICS_PORT", 0)
CCM_WORKER_METRICS_ADDRESS = env_str("CCM_WORKER_METRICS_ADDRESS", "127.0.0.1")
# Errors to Sentry when set, personal data scrubbed (ccm/sentry.py). https://docs.sentry.io/platforms/python/integrations/django/
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from ccm.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", ""),
        release=env_str("SENTRY_RELEASE", ""),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# LOGGING ------------------------------------------------------------------------------
# CCM_LOG_FORMAT=json: one JSON object a line with batch_id, message_id(s) and task_id
# (ccm/log_context.py); plain: for people reading a terminal.
CCM_LOG_FORMAT = env_str("CCM_LOG_FORMAT", "plain")
if CCM_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"CCM_LOG_FORMAT={CCM_LOG_FORMAT!r}: use plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ccm.log_context.LogContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "ccm.log_context.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(batch_id)s %(message_id)s %(message_ids)s %(task_id)s %(task)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CCM_LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("CCM_LOG_LEVEL", "INFO")},
    # pikepdf logs "C++ to Python logger bridge initialized" (INFO) when imported.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}
