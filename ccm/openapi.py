"""The API schema describes the error answers every endpoint can give, so clients (and
the fuzz test, tests/ccm/test_api_fuzz.py) can rely on it: validation errors, missing or
refused credentials, unknown objects, bodies without a length or too large, unsupported
media types and rate limits."""

from typing import Any

_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
_ERRORS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("The request is invalid: field names with their errors.", {"type": "object"}),
    "401": ("No credentials, or an invalid, expired or revoked token.", _DETAIL),
    "403": ("The user's role or the token's scope does not allow this.", _DETAIL),
    "404": ("No such object.", _DETAIL),
    "411": ("The body was sent with Transfer-Encoding instead of a Content-Length.", _DETAIL),
    "413": ("The body is larger than the limit (CCM_API_MAX_*_BYTES).", _DETAIL),
    "415": ("The body's media type is not accepted here.", _DETAIL),
    "429": ("Too many requests from this client; see Retry-After.", _DETAIL),
}
_WITH_BODY = {"post", "put", "patch"}


def error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the error answers to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(_ERRORS)
            headers = {
                p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"
            }
            if "Idempotency-Key" in headers:
                errors["409"] = ("A request with this Idempotency-Key is still running.", _DETAIL)
                errors["422"] = ("This Idempotency-Key came with a different request.", _DETAIL)
            for code, (description, schema) in errors.items():
                if code in ("411", "413", "415") and method not in _WITH_BODY:
                    continue
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    },
                )
    return result
