from django.contrib import admin
from django.contrib.auth.decorators import login_required

from ccm.models import ApiToken

# The admin has no login of its own: people log in through the platform's login, which
# asks approvers, compliance officers and superusers for their second factor.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token` (the secret is shown once);
    here they can be looked at and revoked."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "scopes",
    ]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "key_hash",
        "scopes",
        "created_at",
        "last_used_at",
    ]
    fields = [*readonly_fields, "rate_limit", "expires_at", "revoked_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
