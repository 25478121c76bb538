"""Celery: the broker, acknowledgements, time limits, queues."""

from kombu import Exchange, Queue

from ccm.env import env_bool, env_int, env_str

from .paths import VAR_DIR

# CELERY -------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Default: a filesystem broker under var/, so one machine needs no Redis; production
# sets CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders below are the broker; kombu still wants a host name, and warns "No
    # hostname was supplied" on every connection when the URL has none.
    if CELERY_BROKER_URL == "filesystem://":
        CELERY_BROKER_URL = "filesystem://localhost//"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis hands a task that a worker took but never acknowledged (it died) to another
    # worker after this many seconds. Longer than any task runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600)
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
# A worker process that grew past this (KiB) is replaced after its task: a template that
# made a render hold a lot of memory does not keep it (rendering/sandbox/budget.py budgets renders).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 512 * 1024)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues (channels/queues.py): real-time messages, the short jobs (batch splitting, sweeps,
# periodic tasks), batch chunks per channel; print renders PDFs (CPU-bound). A worker takes
# the queues given with --queues (deploy/Procfile), or all of them, in turn.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("realtime", "celery", "email", "sms", "print")
]
CELERY_TASK_ROUTES = ["channels.queues.task_route"]
# Workers log through LOGGING below (JSON with the task's ids), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
