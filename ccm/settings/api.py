"""The REST API: authentication, permissions, request limits, the cache, the schema."""

from typing import Any

from ccm.env import env_int, env_str

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
