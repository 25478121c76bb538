from email.utils import formataddr

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB."))
font_stack = RegexValidator(r"^[\w\s,'\"-]+$", _("Font names separated by commas."))


class Brand(models.Model):
    """Colours, fonts and sender details applied around every channel's content."""

    name = models.CharField(max_length=100, unique=True)
    primary_color = models.CharField(max_length=7, default="#1f4e79", validators=[hex_color])
    text_color = models.CharField(max_length=7, default="#222222", validators=[hex_color])
    font_family = models.CharField(
        max_length=200,
        default="'Noto Sans', 'Noto Sans CJK JP', sans-serif",
        validators=[font_stack],
    )
    email_from = models.EmailField()
    email_from_name = models.CharField(
        max_length=100, blank=True, help_text=_("Sender name shown in inboxes.")
    )
    sms_sender = models.CharField(
        max_length=11, help_text=_("Alphanumeric sender id, 11 characters at most.")
    )
    return_address = models.TextField(
        help_text=_("Sender line printed above the letter's address window.")
    )
    footer_text = models.TextField(blank=True)
    email_reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_("Where replies to this brand's emails go; empty: the sender address."),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def email_sender(self) -> str:
        """The From header: "Name <address>", encoded by the mail layer when not ASCII."""
        return (
            formataddr((self.email_from_name, self.email_from))
            if self.email_from_name
            else self.email_from
        )
