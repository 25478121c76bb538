"""Production: every secret and address from the environment, secure defaults."""

from ccm.env import env_bool, env_int, env_str

from .base import *  # noqa: F403

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = False

# SECURITY -----------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The CSRF token reaches htmx through the page (hx-headers), never through JavaScript
# reading the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A working day; a person logs in again (with their second factor) after it.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
# Behind nginx (deploy/nginx): the client's address is the one the proxies add to
# X-Forwarded-For (set to the number of proxies in front; ccm/client_address.py).
CCM_TRUSTED_PROXY_COUNT = env_int("CCM_TRUSTED_PROXY_COUNT", 1)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],  # noqa: F405
        "upgrade-insecure-requests": True,
    }
}

# OPERATIONS ---------------------------------------------------------------------------
# Load balancers and Prometheus reach these over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# One JSON object a line for the log collector (CCM_LOG_FORMAT=plain for a terminal).
CCM_LOG_FORMAT = env_str("CCM_LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = CCM_LOG_FORMAT  # type: ignore[index]  # noqa: F405
