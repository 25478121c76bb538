from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel, MessageStatus


class Batch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHING = "finishing", _("Producing print files")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    communication = models.ForeignKey(
        "templates_store.Communication", on_delete=models.PROTECT, related_name="batches"
    )
    # The version published when the batch was accepted; publishing later changes nothing here.
    version = models.ForeignKey(
        "templates_store.TemplateVersion", on_delete=models.PROTECT, related_name="batches"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # The API client the batch belongs to: the user of the token that submitted it, or
    # the person who uploaded it in the UI.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, default="api")
    total_rows = models.PositiveIntegerField(default=0)
    # Nothing is sent before this time (a scheduled send); null means at once.
    send_at = models.DateTimeField(null=True, blank=True)
    # [{"row": 3, "field": "data.amount", "reason": "..."}] for rows that were not accepted.
    rejected_rows = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The *_every_client permissions span API clients (see ccm.roles.VIEW_EVERY_CLIENT).
        permissions = [
            ("cancel_batch", "Can cancel a batch"),
            ("view_every_client", "Can see every API client's batches and messages"),
            ("cancel_every_client", "Can cancel every API client's batches"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.communication.key})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.CANCELLED)


class Message(models.Model):
    """One communication to one recipient on one channel; its status is the source of truth."""

    Status = MessageStatus

    CLAIMED_STATUSES = (Status.RENDERING, Status.SENDING)
    DONE_STATUSES = (
        Status.SENT,
        Status.DELIVERED,
        Status.FAILED,
        Status.SUPPRESSED,
        Status.CANCELLED,
    )

    # The foreign keys are indexed in Meta.indexes: the batch with the status, the
    # customer and the requester only where there is one.
    batch = models.ForeignKey(
        Batch,
        on_delete=models.PROTECT,
        related_name="messages",
        null=True,
        blank=True,
        db_index=False,
    )
    version = models.ForeignKey(
        "templates_store.TemplateVersion", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    row_number = models.PositiveIntegerField(default=0)
    # The API client that asked for a real-time message, and its fallbacks. A batch's
    # messages leave it empty: they belong to the batch's ``created_by``.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The message whose permanent failure made this one (the next channel of the customer).
    fallback_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="fallback"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10)
    # The recipient's time zone, for quiet hours.
    timezone = models.CharField(max_length=64, default="UTC")
    # Not sent before this time: a scheduled batch, or quiet hours at the recipient.
    not_before = models.DateTimeField(null=True, blank=True)
    recipient_name = models.CharField(max_length=200, blank=True)
    # Email address, E.164 phone number, or the postal address (one line per address line).
    recipient = models.TextField()
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Fixed before the first send attempt so that a retry reuses it (no double delivery id).
    message_id = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A letter's page count, recorded when it is rendered (print files group by it).
    pages = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # A message's row is rewritten at each step (claimed, sending, sent) and every
        # index then gets a new entry for it. So the indexes are few, and partial where
        # they serve a few states: the sweepers read claimed and queued messages only,
        # provider events look up sent messages, and inline recipients have no customer.
        indexes = [
            models.Index(fields=["batch", "status"], name="message_batch_status"),
            models.Index(
                fields=["claimed_at"],
                name="message_claimed",
                condition=Q(status__in=["rendering", "sending"]),
            ),
            models.Index(
                fields=["not_before"],
                name="message_queued_not_before",
                condition=Q(status="queued"),
            ),
            models.Index(
                fields=["provider_message_id"],
                name="message_provider_id",
                condition=~Q(provider_message_id=""),
            ),
            models.Index(
                fields=["customer"], name="message_customer", condition=Q(customer__isnull=False)
            ),
            models.Index(
                fields=["requested_by"],
                name="message_requested_by",
                condition=Q(requested_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} {self.channel} to {self.recipient_name or self.recipient}"


class DeliveryEvent(models.Model):
    """Append-only history of a message: what happened, when, with the provider's details."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        RENDERED = "rendered", _("Rendered")
        SENT = "sent", _("Sent")
        PRINTED = "printed", _("Added to print file")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        RETRY = "retry", _("Will retry")
        DEFERRED = "deferred", _("Deferred (quiet hours)")
        FALLBACK = "fallback", _("Fell back to another channel")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of message {self.message_id}"


class PrintFile(models.Model):
    """One merged PDF of letters of a run that share an envelope and a sheet count, plus its
    manifest, for the print vendor."""

    # Null for the print run of real-time (batch-less) letters.
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="print_files", null=True, blank=True
    )
    backend = models.CharField(max_length=50, default="default")
    pdf_name = models.CharField(max_length=500)
    manifest_name = models.CharField(max_length=500)
    letter_count = models.PositiveIntegerField()
    page_count = models.PositiveIntegerField()
    # One envelope and one sheet count per print file: the inserter runs one setting.
    envelope = models.CharField(max_length=20, blank=True)
    sheets_per_letter = models.PositiveSmallIntegerField(default=0)
    sheet_count = models.PositiveIntegerField(default=0)
    duplex = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by print_files_build on the instance it returns: the letters it contains.
    message_ids: list[int]

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.pdf_name


class WebhookEndpoint(models.Model):
    """Where an API client wants message status callbacks (Standard Webhooks format)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    # "whsec_" + base64 key; shown once when the endpoint is created.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint, retried with backoff until delivered or dead."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead letter")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=50)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
