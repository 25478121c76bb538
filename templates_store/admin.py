from django.contrib import admin

from templates_store.models import Brand, Communication


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "email_from", "sms_sender"]


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    """Metadata only: content and versions change through the studio's review workflow."""

    list_display = ["key", "name", "category", "purpose", "owner_team"]
    search_fields = ["key", "name"]
    list_filter = ["category", "purpose"]
