from django.conf import settings
from django.db import models
from django.db.models import Q

from templates_store.models.blocks import BlockVersion
from templates_store.models.themes import ThemeVersion
from templates_store.models.versions import ReviewEvent


class SharedContentEvent(models.Model):
    """The audit trail of block and theme versions: who did what, when, on which content."""

    Action = ReviewEvent.Action

    block_version = models.ForeignKey(
        BlockVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    theme_version = models.ForeignKey(
        ThemeVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=ReviewEvent.Action.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(block_version__isnull=False, theme_version__isnull=True)
                | Q(block_version__isnull=True, theme_version__isnull=False),
                name="shared_event_has_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"
