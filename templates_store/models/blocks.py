from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.models.brands import Brand
from templates_store.models.shared import SharedVersion

block_key = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _("Lower-case letters, digits and underscores, starting with a letter (e.g. legal_notice)."),
)


class Block(models.Model):
    """A piece of content shared by communications of one brand, inserted with
    ``{{ block("key") }}``."""

    class Kind(models.TextChoices):
        HEADER = "header", _("Header")
        FOOTER = "footer", _("Footer")
        LEGAL = "legal", _("Legal text")
        SIGNATURE = "signature", _("Signature")
        OTHER = "other", _("Other")

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("brand")
    )
    key = models.CharField(_("key"), max_length=60, validators=[block_key])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand", "key"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key"], name="block_key_unique_per_brand"),
        ]

    def __str__(self) -> str:
        return self.key


class BlockVersion(SharedVersion):
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="versions")

    class Meta:
        ordering = ["block", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["block", "number"], name="block_version_number_unique"),
            models.UniqueConstraint(
                fields=["block"],
                condition=Q(status="published"),
                name="one_published_version_per_block",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.block.key} v{self.number}"

    def content_payload(self) -> object:
        return [
            [c.channel, c.locale, c.body]
            for c in sorted(self.contents.all(), key=lambda c: (c.channel, c.locale))
        ]


class BlockContent(models.Model):
    """A block's text in one channel and locale: HTML for email and print, text for SMS."""

    version = models.ForeignKey(BlockVersion, on_delete=models.CASCADE, related_name="contents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    locale = models.CharField(max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["channel", "locale"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "channel", "locale"], name="block_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.channel}/{self.locale}"
