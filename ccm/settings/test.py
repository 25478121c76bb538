"""The test suite: PostgreSQL and Redis on 127.0.0.1, in-memory backends, eager Celery.

Integration tests (tests/integration) switch Celery to the real Redis broker and start
real worker processes.
"""

import dj_database_url

from ccm.env import env_str

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ccm"), conn_max_age=0
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKENDS = {
    "default": {"BACKEND": "channels.backends.sms.locmem.SmsBackend", "RATE_LIMIT": 0.0}
}
PRINT_BACKENDS = {"default": {"BACKEND": "channels.backends.printing.locmem.PrintBackend"}}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = True
# Tests must not depend on the time of day they run at; quiet-hour tests set their own.
CCM_QUIET_HOURS = {"start": "00:00", "end": "00:00", "channels": []}
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
