"""Settings shared by every environment; the others only change what differs.

Everything is read through ``ccm.env``. Defaults run the platform on one machine with
no external service: SQLite and a filesystem broker under ``var/``.
"""

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from ccm.env import env_bool, env_choices, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CCM_VAR_DIR", str(BASE_DIR / "var")))

# GENERAL ------------------------------------------------------------------------------
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-only-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ccm",
    "customers",
    "templates_store",
    "channels.apps.ChannelsConfig",
    "compliance",
    "insight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ccm.input_checks.RefuseNulMiddleware",
    "ccm.request_bodies.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ccm.csp.HtmlCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
    # One render budget per request; a limit on each person's previews and lints.
    "channels.middleware.RenderBudgetMiddleware",
]

ROOT_URLCONF = "ccm.urls"
WSGI_APPLICATION = "ccm.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ccm.context_processors.navigation",
            ],
        },
    },
]

# DATABASE -----------------------------------------------------------------------------
# https://github.com/jazzband/dj-database-url#url-schema
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ccm.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: take the write lock when a transaction starts
    # and wait for it, rather than failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

# AUTH ---------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes counts failed logins and locks out (ccm/login_attempts.py): a username on
# one address after CCM_LOGIN_FAILURE_LIMIT failures, a username on every address after
# CCM_LOGIN_USERNAME_FAILURE_LIMIT, an address on every username after
# CCM_LOGIN_ADDRESS_FAILURE_LIMIT, each within CCM_LOGIN_COOLOFF_MINUTES.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "ccm.login_attempts.LoginAttemptHandler"
AXES_FAILURE_LIMIT = env_int("CCM_LOGIN_FAILURE_LIMIT", 5)
CCM_LOGIN_USERNAME_FAILURE_LIMIT = env_int("CCM_LOGIN_USERNAME_FAILURE_LIMIT", 20)
CCM_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("CCM_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = env_int("CCM_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A login refused by a lock is not counted as a failure (nor renews the lock).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "ccm.login_attempts.login_lockout_response"
# No "AXES: BEGIN version ..." banner at the start of every command and process.
AXES_VERBOSE = False
# The client's address (ccm/client_address.py), for lockouts, API rate limits and the
# metrics allowlist: REMOTE_ADDR with no proxy in front; behind CCM_TRUSTED_PROXY_COUNT
# proxies the address the first of them added to X-Forwarded-For (production: 1).
CCM_TRUSTED_PROXY_COUNT = env_int("CCM_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "ccm.client_address.client_address"
# Approvers and archive readers log in with a TOTP code too (ccm/two_factor.py).
OTP_TOTP_ISSUER = env_str("CCM_OTP_ISSUER", "CCM")
# Content-Security-Policy (django-csp): scripts only from our static files, no inline
# script or eval; styles may be inline (email previews carry inlined CSS).
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# I18N ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "ccm" / "locale"]
TIME_ZONE = env_str("CCM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# STATIC AND STORAGE -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
ARCHIVE_ROOT = Path(env_str("CCM_ARCHIVE_ROOT", str(VAR_DIR / "archive")))
PRINT_ROOT = Path(env_str("CCM_PRINT_ROOT", str(VAR_DIR / "print")))
# https://docs.djangoproject.com/en/5.2/ref/settings/#storages
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Write-once archive of every artifact sent (content-addressed names).
    "archive": {
        "BACKEND": "compliance.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(ARCHIVE_ROOT), "base_url": None},
    },
    # Print files handed to the print vendor.
    "print": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRINT_ROOT), "base_url": None},
    },
}

if env_str("CCM_ARCHIVE_S3_BUCKET", ""):
    # Production: S3 (or a compatible store) with Object Lock enabled on the bucket.
    # https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
    STORAGES["archive"] = {
        "BACKEND": "compliance.storage.ObjectLockS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CCM_ARCHIVE_S3_BUCKET"),
            "region_name": env_str("CCM_ARCHIVE_S3_REGION", "") or None,
            "endpoint_url": env_str("CCM_ARCHIVE_S3_ENDPOINT_URL", "") or None,
            "object_lock_mode": env_str("CCM_ARCHIVE_OBJECT_LOCK_MODE", "COMPLIANCE"),
            "file_overwrite": False,
        },
    }

if env_str("CCM_PRINT_S3_BUCKET", ""):
    # Print files to an S3 bucket the print vendor reads.
    # https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
    STORAGES["print"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CCM_PRINT_S3_BUCKET"),
            "location": env_str("CCM_PRINT_S3_PREFIX", ""),
            "region_name": env_str("CCM_PRINT_S3_REGION", "") or None,
            "endpoint_url": env_str("CCM_PRINT_S3_ENDPOINT_URL", "") or None,
            "file_overwrite": False,
        },
    }
elif env_str("CCM_PRINT_SFTP_HOST", ""):
    # Print files to the print vendor's SFTP server (key authentication; the host key
    # must be in CCM_PRINT_SFTP_KNOWN_HOSTS).
    # https://django-storages.readthedocs.io/en/latest/backends/sftp.html
    STORAGES["print"] = {
        "BACKEND": "storages.backends.sftpstorage.SFTPStorage",
        "OPTIONS": {
            "host": env_str("CCM_PRINT_SFTP_HOST"),
            "root_path": env_str("CCM_PRINT_SFTP_ROOT", ""),
            "params": {
                "port": env_int("CCM_PRINT_SFTP_PORT", 22),
                "username": env_str("CCM_PRINT_SFTP_USER"),
                "key_filename": env_str("CCM_PRINT_SFTP_KEY_FILE"),
                "timeout": 30,
            },
            "known_host_file": env_str("CCM_PRINT_SFTP_KNOWN_HOSTS", "") or None,
            "interactive": False,
        },
    }

# REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ccm.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ccm.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_PARSER_CLASSES": [
        "ccm.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per client (token): ApiToken.rate_limit, else CCM_API_RATE_LIMIT.
    "DEFAULT_THROTTLE_CLASSES": ["ccm.throttling.ApiClientThrottle"],
}
# Requests a client may make, e.g. "600/min"; counted in the cache (CCM_CACHE_URL).
CCM_API_RATE_LIMIT = env_str("CCM_API_RATE_LIMIT", "600/min")
# Body sizes: JSON bodies are parsed in memory; CSV / JSON Lines batches are spooled to disk.
CCM_API_MAX_JSON_BYTES = env_int("CCM_API_MAX_JSON_BYTES", 10 * 1024 * 1024)
CCM_API_MAX_STREAMED_BYTES = env_int("CCM_API_MAX_STREAMED_BYTES", 1024 * 1024 * 1024)
# JSON (bodies, upload rows, import files) nested deeper than this is a 400, never parsed.
CCM_MAX_JSON_DEPTH = env_int("CCM_MAX_JSON_DEPTH", 100)
# Columns of an uploaded or posted CSV file; a wider header is refused.
CCM_UPLOAD_MAX_COLUMNS = env_int("CCM_UPLOAD_MAX_COLUMNS", 1000)
# Forms and request.body; an uploaded file goes to disk and is limited by CCM_UPLOAD_MAX_BYTES.
# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
CCM_UPLOAD_MAX_BYTES = env_int("CCM_UPLOAD_MAX_BYTES", 512 * 1024 * 1024)
# Shared by every web process (API rate counts). https://docs.djangoproject.com/en/5.2/topics/cache/
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if (_cache_url := env_str("CCM_CACHE_URL", ""))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CCM API",
    "DESCRIPTION": (
        "Submit batch sends, follow their progress and read per-message status; design, "
        "review, publish, export and import communications."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models call their state machine "Status": name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "TemplateVersionStatusEnum": "templates_store.models.TemplateVersion.Status",
        "BatchStatusEnum": "channels.models.Batch.Status",
        "MessageStatusEnum": "channels.models.Message.Status",
        "WebhookDeliveryStatusEnum": "channels.models.WebhookDelivery.Status",
    },
    # Every operation documents its error answers too (ccm/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ccm.openapi.error_responses",
    ],
}

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
# made a render hold a lot of memory does not keep it (rendering/sandbox.py budgets renders).
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

# CHANNELS -----------------------------------------------------------------------------
# The render budget (rendering/sandbox.py; docs/security.md "Templates"): what one render
# of a template (preview, lint, test send, each message of a batch) may cost. Over any of
# these, the render fails with the limit named and the message fails on its own.
CCM_RENDER_MAX_OUTPUT_CHARS = env_int("CCM_RENDER_MAX_OUTPUT_CHARS", 2_000_000)
CCM_RENDER_MAX_STRING_LENGTH = env_int("CCM_RENDER_MAX_STRING_LENGTH", 1_000_000)
CCM_RENDER_MAX_INTEGER_DIGITS = env_int("CCM_RENDER_MAX_INTEGER_DIGITS", 100)
CCM_RENDER_MAX_LOOP_ITERATIONS = env_int("CCM_RENDER_MAX_LOOP_ITERATIONS", 100_000)
# CPU time of one render, and of all the renders of one web request together (a preview,
# lint, submission or test send: every channel and language; channels/middleware.py).
CCM_RENDER_MAX_CPU_SECONDS = env_int("CCM_RENDER_MAX_CPU_SECONDS", 5)
# Previews and lints per person (channels/middleware.py): running at once, and per period;
# over either, 429 with Retry-After. Live preview sends one request per pause in typing.
CCM_RENDER_CONCURRENT_PER_USER = env_int("CCM_RENDER_CONCURRENT_PER_USER", 4)
CCM_RENDER_RATE_LIMIT = env_str("CCM_RENDER_RATE_LIMIT", "240/min")
# Elements nested in an email or letter; WeasyPrint recurses per level (Python's limit
# is reached at about 130 levels) and the CSS inliner crashes past about 10,000.
CCM_RENDER_MAX_HTML_DEPTH = env_int("CCM_RENDER_MAX_HTML_DEPTH", 64)
# Messages per Celery task; one SMTP connection / SMS session is reused per chunk.
CCM_CHUNK_SIZE = env_int("CCM_CHUNK_SIZE", 200)
# A message claimed longer ago than this is taken back by the sweeper (dead worker).
CCM_CLAIM_TIMEOUT_SECONDS = env_int("CCM_CLAIM_TIMEOUT_SECONDS", 15 * 60)
# A message is given up (failed) after this many attempts: crashes of its worker and
# transient errors, each retried after a back-off of 30 s doubling up to an hour.
CCM_MAX_ATTEMPTS = env_int("CCM_MAX_ATTEMPTS", 10)
# Sent messages are recorded this many at a time. A worker killed between the provider's
# acceptance and the record leaves at most this many to be sent again (same Message-ID
# and bytes, flagged as possible duplicates): the window for duplicates.
CCM_SENT_RECORD_EVERY = env_int("CCM_SENT_RECORD_EVERY", 20)
# Connections each worker process sends a chunk's emails on at once (SMTP or an ESP's API).
CCM_EMAIL_CONNECTIONS = env_int("CCM_EMAIL_CONNECTIONS", 2)
# No message of these channels reaches a recipient between start and end of their local
# day (batch messages wait; real-time messages such as one-time codes are not held).
CCM_QUIET_HOURS = {
    "start": env_str("CCM_QUIET_HOURS_START", "21:00"),
    "end": env_str("CCM_QUIET_HOURS_END", "08:00"),
    "channels": env_choices("CCM_QUIET_HOURS_CHANNELS", "sms", ("email", "sms", "print")),
}
# At most this many marketing messages per customer within this many days.
CCM_MARKETING_CAP_MESSAGES = env_int("CCM_MARKETING_CAP_MESSAGES", 3)
CCM_MARKETING_CAP_DAYS = env_int("CCM_MARKETING_CAP_DAYS", 7)
CCM_DEFAULT_FROM_EMAIL = env_str("CCM_DEFAULT_FROM_EMAIL", "notifications@example.com")
CCM_MESSAGE_ID_DOMAIN = env_str("CCM_MESSAGE_ID_DOMAIN", "ccm.example.com")
CCM_BASE_URL = env_str("CCM_BASE_URL", "http://127.0.0.1:8000")
# How long an Idempotency-Key and its first answer are kept.
CCM_IDEMPOTENCY_TTL_HOURS = env_int("CCM_IDEMPOTENCY_TTL_HOURS", 24)

# Email goes through Django's mail backends (SMTP by default; any django-anymail ESP).
# https://docs.djangoproject.com/en/5.2/topics/email/#smtp-backend
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "channels.backends.email.SmtpBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = CCM_DEFAULT_FROM_EMAIL

# SMS and print backends use one settings shape, like STORAGES.
# RATE_LIMIT: messages a second for this backend, shared by all workers (0 = unlimited).
# SENDER_RATE_LIMITS: messages a second per sender id, "*" for any other sender.
# The backends (HTTP providers, Kannel) and their OPTIONS: docs/channels.md.
SMS_BACKENDS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str("CCM_SMS_BACKEND", "channels.backends.sms.file.SmsBackend"),
        "OPTIONS": {"directory": env_str("CCM_SMS_DIR", str(VAR_DIR / "sms"))},
        "RATE_LIMIT": float(env_str("CCM_SMS_RATE_LIMIT", "0")),
        "SENDER_RATE_LIMITS": {"*": float(env_str("CCM_SMS_SENDER_RATE_LIMIT", "0"))},
    }
}
# Regions (ISO 3166 codes, e.g. "JP,GB") an SMS may go to, by the recipient's number;
# empty: any. Against SMS pumping: a number elsewhere fails for good, with the reason.
CCM_SMS_ALLOWED_COUNTRIES = [c.upper() for c in env_list("CCM_SMS_ALLOWED_COUNTRIES", "")]
# Test sends from the studio (docs/studio.md#test-sends), per user, "<count>/<sec|min|hour|day>":
# tests of any channel, and SMS codes that verify a designer's phone. Counted on TestSendLog.
CCM_TEST_SEND_RATE_LIMIT = env_str("CCM_TEST_SEND_RATE_LIMIT", "30/hour")
CCM_PHONE_VERIFICATION_RATE_LIMIT = env_str("CCM_PHONE_VERIFICATION_RATE_LIMIT", "5/hour")
# The sender id of test SMS and verification codes (not a brand's). With
# CCM_TEST_SMS_BRAND_SENDER on, test SMS go from the communication's own sender id.
CCM_TEST_SMS_SENDER = env_str("CCM_TEST_SMS_SENDER", "TEST")
CCM_TEST_SMS_BRAND_SENDER = env_bool("CCM_TEST_SMS_BRAND_SENDER", False)
PRINT_BACKENDS = {
    "default": {
        "BACKEND": env_str("CCM_PRINT_BACKEND", "channels.backends.printing.storage.PrintBackend"),
        "OPTIONS": {"storage": "print"},
    }
}
# Send rates shared by all workers through Redis (messages a second; 0 = unlimited).
# Without a Redis URL the limit holds per worker process.
CCM_RATE_LIMIT_REDIS_URL = env_str(
    "CCM_RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
CCM_EMAIL_RATE_LIMIT = float(env_str("CCM_EMAIL_RATE_LIMIT", "0"))
# Shared secret in the SMS delivery-report URL (/webhooks/sms/dlr/<token>/); empty = off.
CCM_SMS_DLR_TOKEN = env_str("CCM_SMS_DLR_TOKEN", "")
# Networks that webhook calls may reach although internal (docs/security.md#outbound-requests),
# e.g. "10.20.0.0/16,192.0.2.7:8443"; empty: only public addresses.
CCM_OUTBOUND_ALLOWED_NETWORKS = env_list("CCM_OUTBOUND_ALLOWED_NETWORKS", "")
# django-anymail: ESP credentials and the tracking webhooks' basic-auth secret.
# https://anymail.dev/en/stable/installation/#configuring-tracking-and-inbound-webhooks
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "")}
# The local SMTP sink of `make run` keeps every email it receives here.
CCM_MAILBOX_DIR = Path(env_str("CCM_MAILBOX_DIR", str(VAR_DIR / "mail")))
# The /mailbox/ page showing that folder: on with DEBUG, or with this (e.g. on staging).
CCM_MAILBOX_ENABLED = env_bool("CCM_MAILBOX_ENABLED", False)

# COMPLIANCE ---------------------------------------------------------------------------
# Years an archive entry is kept, per communication category; the longest applicable wins.
CCM_RETENTION_YEARS = {
    "regulatory": env_int("CCM_RETENTION_REGULATORY_YEARS", 7),
    "transactional": env_int("CCM_RETENTION_TRANSACTIONAL_YEARS", 6),
    "marketing": env_int("CCM_RETENTION_MARKETING_YEARS", 2),
}
# HMAC key of the archive's chains, tombstones and seal heads (docs/security.md, "Archive
# integrity"); empty = derived from SECRET_KEY. Never change it once the archive holds rows.
CCM_ARCHIVE_SIGNING_KEY = env_str("CCM_ARCHIVE_SIGNING_KEY", "")

# INSIGHT ------------------------------------------------------------------------------
# Unit prices for the cost estimates, in CCM_INSIGHT_CURRENCY (decimal strings).
CCM_INSIGHT_CURRENCY = env_str("CCM_INSIGHT_CURRENCY", "GBP")
CCM_INSIGHT_PRICES = {
    "email": env_str("CCM_PRICE_EMAIL", "0.001"),
    "sms_segment": env_str("CCM_PRICE_SMS_SEGMENT", "0.04"),
    "print_sheet": env_str("CCM_PRICE_PRINT_SHEET", "0.08"),
    "postage": env_str("CCM_PRICE_POSTAGE", "0.85"),
}
# Letters are printed on both sides of the sheet (sheets = pages / 2, rounded up).
CCM_PRINT_DUPLEX = env_bool("CCM_PRINT_DUPLEX", False)
# Print files: duplex adds a blank back page after a letter with an odd page count; a 2D
# code on each sheet for the inserting machine: "qr", or "" for none (docs/channels.md).
CCM_PRINT_BARCODE = env_str("CCM_PRINT_BARCODE", "")
# At most this many letters in one print file (a larger group is cut into parts).
CCM_PRINT_FILE_LETTERS = env_int("CCM_PRINT_FILE_LETTERS", 1000)

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
