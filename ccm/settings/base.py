"""Settings shared by every environment; the others only change what differs.

Everything is read through ``ccm.env``. Defaults run the platform on one machine with
no external service: SQLite and a filesystem broker under ``var/``. The topics live in
modules of their own (auth, storage, api, celery, sending, backends, operations), all
imported here, so that ``from .base import *`` gives every setting.
"""

import dj_database_url
from django.utils.translation import gettext_lazy as _

from ccm.env import env_bool, env_int, env_list, env_str

from .api import *  # noqa: F403
from .auth import *  # noqa: F403
from .backends import *  # noqa: F403
from .celery import *  # noqa: F403
from .operations import *  # noqa: F403
from .paths import BASE_DIR, VAR_DIR
from .sending import *  # noqa: F403
from .storage import *  # noqa: F403

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
    "demo",
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

# I18N ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "ccm" / "locale"]
TIME_ZONE = env_str("CCM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

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
