from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from templates_store.models.brands import Brand, font_stack, hex_color
from templates_store.models.shared import SharedVersion

https_url = RegexValidator(r"^https://\S+$", _("An https:// address."))


class ThemeVersion(SharedVersion):
    """A brand's colours, fonts and logo, used by the email and letter layouts and by
    templates as ``theme.*``. Email shows the logo from ``logo_url`` (mail clients load
    images over https); letters embed ``logo_data`` (the PDF renderer fetches nothing)."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="theme_versions")
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#1f4e79", validators=[hex_color]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, default="#e07a1f", validators=[hex_color]
    )
    text_color = models.CharField(
        _("text colour"), max_length=7, default="#222222", validators=[hex_color]
    )
    background_color = models.CharField(
        _("background colour"), max_length=7, default="#f3f4f6", validators=[hex_color]
    )
    font_family = models.CharField(
        _("body font"),
        max_length=200,
        default="'Noto Sans', 'Noto Sans CJK JP', sans-serif",
        validators=[font_stack],
    )
    heading_font_family = models.CharField(
        _("heading font"), max_length=200, blank=True, validators=[font_stack]
    )
    logo_url = models.CharField(
        _("logo address (email)"), max_length=500, blank=True, validators=[https_url]
    )
    logo_data = models.TextField(
        _("logo image (letters)"),
        blank=True,
        help_text=_("A PNG or JPEG as a data: URL, embedded in letters."),
    )
    logo_alt = models.CharField(_("logo text alternative"), max_length=200, blank=True)

    CONTENT_FIELDS = (
        "primary_color",
        "accent_color",
        "text_color",
        "background_color",
        "font_family",
        "heading_font_family",
        "logo_url",
        "logo_data",
        "logo_alt",
    )

    class Meta:
        ordering = ["brand", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "number"], name="theme_version_number_unique"),
            models.UniqueConstraint(
                fields=["brand"],
                condition=Q(status="published"),
                name="one_published_theme_per_brand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand.name} theme v{self.number}"

    def content_payload(self) -> object:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}
