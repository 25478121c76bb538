"""Settings of the Celery worker that integration tests start as a separate process.

The test settings with real backends: SMTP to the test's server, SMS into a file,
print files and archive artifacts in the folders the test reads, and no eager tasks.
"""

from ccm.env import env_int, env_str
from ccm.settings.test import *  # noqa: F403

EMAIL_BACKEND = "channels.backends.email.SmtpBackend"
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 10
SMS_BACKENDS = {
    "default": {
        "BACKEND": "channels.backends.sms.file.SmsBackend",
        "OPTIONS": {"directory": env_str("CCM_SMS_DIR")},
    }
}
PRINT_BACKENDS = {
    "default": {
        "BACKEND": "channels.backends.printing.storage.PrintBackend",
        "OPTIONS": {"storage": "print"},
    }
}
STORAGES = {
    **STORAGES,  # noqa: F405
    "archive": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("CCM_ARCHIVE_ROOT"), "base_url": None},
    },
    "print": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("CCM_PRINT_ROOT"), "base_url": None},
    },
}
CCM_CHUNK_SIZE = env_int("CCM_CHUNK_SIZE", 200)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
