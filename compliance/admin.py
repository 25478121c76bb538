from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from compliance.models import AccessLog, ArchiveEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """The archive is write-once: the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ArchiveEntry)
class ArchiveEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "channel", "recipient", "communication", "is_test"]
    list_filter = ["channel", "is_test"]
    search_fields = ["recipient", "artifact_sha256"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "entry"]
    list_filter = ["action"]
