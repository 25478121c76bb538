"""Logging in: lockouts (django-axes), the second factor, the page policy, passwords."""

from typing import Any

from ccm.env import env_int, env_str

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
