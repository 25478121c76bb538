from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel


class ArchiveEntry(models.Model):
    """One communication as it left the platform. Written once, never updated.

    The artifact (RFC 822 email bytes, SMS text, PDF letter) lives in the ``archive``
    storage under its sha256; this row says what it was, to whom, and from which version.
    """

    message = models.ForeignKey(
        "channels.Message",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="archive_entries",
    )
    is_test = models.BooleanField(default=False)
    communication = models.ForeignKey(
        "templates_store.Communication", on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        "templates_store.TemplateVersion", on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The communication's category when it was sent (drives retention).
    category = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10)
    recipient = models.TextField()
    recipient_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # The data the message was rendered from, so it can be rendered again identically.
    data = models.JSONField(default=dict)
    artifact_name = models.CharField(max_length=300)
    artifact_sha256 = models.CharField(max_length=64)
    artifact_size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    backend = models.CharField(max_length=100, blank=True)
    # The email's Message-ID, or the reference given to the SMS provider.
    message_reference = models.CharField(max_length=255, blank=True)
    # Set before the row is written: it is part of the chain hash computed at insert.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The running chain (compliance.chain): the id of the entry before this one in it and
    # HMAC(key, that entry's chain hash, its id, this entry's leaf hash).
    chain_previous = models.BigIntegerField(null=True, blank=True, editable=False)
    # That entry's chain hash, kept so this row's own link can be checked after the entry
    # before it is removed. Empty on rows written before migration 0013.
    chain_previous_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    # Empty (also for rows inserted by SQL without it): not in the chain, which verify names.
    chain_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "archive entries"
        permissions = [("export_archiveentry", "Can export archive entries as evidence")]
        indexes = [
            models.Index(fields=["recipient"], name="archive_recipient"),
            models.Index(fields=["channel", "created_at"], name="archive_channel_created"),
        ]
        constraints = [
            # One message, one entry: two workers racing on one message cannot both archive.
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(is_test=False, message__isnull=False),
                name="archive_one_entry_per_message",
            ),
        ]

    def __str__(self) -> str:
        who = self.recipient_name or self.recipient
        return f"{self.channel} to {who} ({self.created_at:%Y-%m-%d})"


class Seal(models.Model):
    """A tamper-evident seal over the archive entries with ids in [first_entry_id, last_entry_id].

    ``leaves`` keeps each entry's leaf hash ([[entry_id, sha256], ...]) so that verification
    can name the entry that changed; ``merkle_root`` is the root over those leaves and
    ``seal_hash`` chains this seal to the previous one.
    """

    sequence = models.PositiveIntegerField(unique=True)
    first_entry_id = models.BigIntegerField()
    last_entry_id = models.BigIntegerField()
    entry_count = models.PositiveIntegerField()
    leaves = models.JSONField()
    merkle_root = models.CharField(max_length=64)
    previous_seal_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"Seal {self.sequence} (entries {self.first_entry_id}-{self.last_entry_id})"


class LegalHold(models.Model):
    """Keeps matching entries from the retention purge until released.

    A hold matches by customer, batch, communication and/or date range; every criterion
    given must match (a hold with only a customer holds everything of that customer).
    """

    reason = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    batch = models.ForeignKey(
        "channels.Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    communication = models.ForeignKey(
        "templates_store.Communication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_legalhold", "Can place and release legal holds")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(customer__isnull=False)
                    | models.Q(batch__isnull=False)
                    | models.Q(communication__isnull=False)
                    | models.Q(date_from__isnull=False)
                    | models.Q(date_to__isnull=False)
                ),
                name="legal_hold_has_a_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Hold {self.pk}: {self.reason[:60]}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class PurgeRun(models.Model):
    """What one run of the retention purge did."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expired = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    purged = models.PositiveIntegerField(default=0)
    artifacts_deleted = models.PositiveIntegerField(default=0)
    # HMAC over the run's record and its tombstones' entry ids (compliance.chain).
    signature = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Purge {self.pk} ({self.started_at:%Y-%m-%d})"


class Tombstone(models.Model):
    """What is left of a purged entry: its id, the leaf hash it was sealed with and its
    place in the running chain, so that the seals and the chain still verify. No personal
    data. ``signature`` is the purge's HMAC over all of it with a key the database does not
    hold: a tombstone written by anything but the purge does not verify."""

    entry_id = models.BigIntegerField(unique=True)
    leaf_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    purge_run = models.ForeignKey(PurgeRun, on_delete=models.PROTECT, related_name="tombstones")
    chain_previous = models.BigIntegerField(null=True, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["entry_id"]

    def __str__(self) -> str:
        return f"Tombstone of entry {self.entry_id}"


class AccessLog(models.Model):
    """Every look at the archive by a person: who, when, what, why."""

    class Action(models.TextChoices):
        SEARCH = "search", _("Search")
        VIEW = "view", _("View")
        DOWNLOAD = "download", _("Download artifact")
        EXPORT = "export", _("Evidence export")
        HOLD = "hold", _("Legal hold")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    # Not a database constraint: the log outlives entries removed by the retention purge.
    entry = models.ForeignKey(
        ArchiveEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    query = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The access log's own running chain, as ArchiveEntry's (compliance.chain).
    chain_previous = models.BigIntegerField(null=True, blank=True, editable=False)
    chain_previous_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    # Empty (also for rows inserted by SQL without it): not in the chain, which verify names.
    chain_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"


class ChainHead(models.Model):
    """The newest link of one running chain (archive entries, access log). Its row is
    locked by every append, so appends to one chain take their ids and hashes in turn."""

    class Name(models.TextChoices):
        ENTRIES = "entries", _("Archive entries")
        ACCESS = "access", _("Access log")

    name = models.CharField(max_length=20, choices=Name.choices, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.name} chain at {self.last_id}"
