from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from templates_store.models import Brand, Communication, TestRecipient, TestSendLog, VerifiedPhone


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "email_from", "sms_sender"]


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    """Metadata only: content and versions change through the studio's review workflow."""

    list_display = ["key", "name", "category", "purpose", "owner_team"]
    search_fields = ["key", "name"]
    list_filter = ["category", "purpose"]


@admin.register(TestRecipient)
class TestRecipientAdmin(admin.ModelAdmin):
    """The allowlist of test recipients besides each designer's own address and phones."""

    list_display = ["address", "kind", "label", "team", "created_by", "created_at"]
    list_filter = ["kind", "team"]
    search_fields = ["address", "label", "team"]
    fields = ["kind", "address", "label", "team"]

    def save_model(self, request: HttpRequest, obj: TestRecipient, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(VerifiedPhone)
class VerifiedPhoneAdmin(admin.ModelAdmin):
    """Designers' own numbers: verified on their Test recipients page, never here. An
    administrator may delete one (it then receives no tests)."""

    list_display = ["number", "user", "verified_at", "created_at"]
    search_fields = ["number", "user__username"]
    fields = ["user", "number", "verified_at", "created_at"]
    readonly_fields = ["user", "number", "verified_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TestSendLog)
class TestSendLogAdmin(admin.ModelAdmin):
    """Every test send and verification code, sent or refused: read-only."""

    list_display = ["created_at", "user", "purpose", "channel", "recipient", "version", "result"]
    list_filter = ["result", "purpose", "channel"]
    search_fields = ["recipient", "user__username", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "version__communication"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
