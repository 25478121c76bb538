from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from ccm.models import ApiToken
from ccm.permissions import SCOPES
from ccm.throttling import rate_parse


def api_token_create(
    *,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    scopes: Sequence[str] = SCOPES,
    rate_limit: str = "",
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it and the secret, which is shown only once.

    ``scopes`` (from ``ccm.permissions.SCOPES``) limit the token further than the user's
    role; ``rate_limit`` ("120/min") overrides ``CCM_API_RATE_LIMIT`` for this client.
    Raises ValidationError naming an unknown scope or a malformed rate.
    """
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError(
            f"Unknown scope {', '.join(unknown)}; the scopes are {', '.join(SCOPES)}."
        )
    if not scopes:
        raise ValidationError("A token needs at least one scope.")
    if rate_limit:
        try:
            rate_parse(rate_limit)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:12],
        key_hash=ApiToken.hash_key(key),
        expires_at=expires_at,
        scopes=[s for s in SCOPES if s in scopes],
        rate_limit=rate_limit,
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke ``token`` now; it is refused from its next request on. Idempotent."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
