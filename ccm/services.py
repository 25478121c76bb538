from datetime import datetime

from django.contrib.auth.models import User

from ccm.models import ApiToken


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it and the secret, which is shown only once."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:12],
        key_hash=ApiToken.hash_key(key),
        expires_at=expires_at,
    )
    return token, key
