"""Forms of the shared content pages (blocks and brand themes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.locales import LOCALES
from templates_store.models import Block, BlockVersion, ThemeVersion


class BlockForm(forms.ModelForm):
    class Meta:
        model = Block
        fields = ["brand", "key", "name", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"key": _('Templates insert the block with {{ block("key") }}.')}


def content_field_name(channel: str, locale: str) -> str:
    return f"{channel}-{locale}"


class BlockContentForm(forms.Form):
    """One text area per channel and locale: HTML for email and print, text for SMS."""

    def __init__(self, *args: Any, version: BlockVersion, **kwargs: Any) -> None:
        existing = {(c.channel, c.locale): c.body for c in version.contents.all()}
        super().__init__(*args, **kwargs)
        for channel, label in Channel.choices:
            for locale in LOCALES:
                self.fields[content_field_name(channel, locale)] = forms.CharField(
                    label=f"{label} · {locale}",
                    required=False,
                    strip=False,
                    initial=existing.get((channel, locale), ""),
                    widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
                )

    def bodies(self) -> dict[tuple[str, str], str]:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            (channel, locale): data.get(content_field_name(channel, locale), "")
            for channel in Channel.values
            for locale in LOCALES
        }


class ThemeForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo image for letters (PNG or JPEG)"),
        required=False,
    )
    remove_logo = forms.BooleanField(label=_("Remove the letter logo"), required=False)

    class Meta:
        model = ThemeVersion
        fields = [
            "primary_color",
            "accent_color",
            "text_color",
            "background_color",
            "font_family",
            "heading_font_family",
            "logo_url",
            "logo_alt",
        ]
        widgets = {
            name: forms.TextInput(attrs={"type": "color"})
            for name in ("primary_color", "accent_color", "text_color", "background_color")
        }
