"""The Celery application. Tasks live in each app's tasks.py."""

import gc
import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccm.settings.local")

app = Celery("ccm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect(dispatch_uid="ccm.celery.freeze")
def _loaded_objects_freeze(**kwargs: Any) -> None:
    """What a worker process has loaded when it starts (Django, the apps, their modules)
    lives as long as the process: the garbage collector stops scanning it, so that its
    collections during a chunk walk the chunk's own objects only."""
    gc.freeze()


# Periodic jobs, all in one place.
app.conf.beat_schedule = {
    # Every minute (https://crontab.guru/#*_*_*_*_*): take back messages whose worker died.
    "messages-requeue-stuck": {
        "task": "channels.tasks.messages_requeue_stuck",
        "schedule": crontab(minute="*"),
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): scheduled sends and ends of quiet hours.
    "messages-release-due": {
        "task": "channels.tasks.messages_release_due",
        "schedule": crontab(minute="*"),
    },
    # Every 10 seconds: status callbacks that are due (first attempts and retries).
    "webhook-deliveries-send": {
        "task": "channels.tasks.webhook_deliveries_send",
        "schedule": 10.0,
    },
    # Hourly (https://crontab.guru/#0_*_*_*_*): one print file of the real-time letters.
    "realtime-print-run": {
        "task": "channels.tasks.realtime_print_run",
        "schedule": crontab(minute="0"),
    },
    # Every minute (https://crontab.guru/#*_*_*_*_*): record scheduled publications that
    # took effect (the selector already honours them).
    "versions-publish-due": {
        "task": "templates_store.tasks.versions_publish_due",
        "schedule": crontab(minute="*"),
    },
    # Every 5 minutes (https://crontab.guru/#*/5_*_*_*_*): seal new archive entries.
    "archive-seal": {
        "task": "compliance.tasks.archive_seal",
        "schedule": crontab(minute="*/5"),
    },
    # Daily at 03:30 (https://crontab.guru/#30_3_*_*_*): the retention purge.
    "archive-purge": {
        "task": "compliance.tasks.archive_purge",
        "schedule": crontab(minute="30", hour="3"),
    },
}
