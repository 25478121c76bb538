"""What the designer and the approver see of a version: every channel of one locale,
rendered through ``rendering.render`` (the same path as sending).

Saved content goes through ``render``; content still being typed in the editor goes
through ``render_content``. A render error is part of the preview, never a blank.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccm.vocabulary import Channel
from rendering.exceptions import RenderError
from rendering.pdf import render_pdf
from rendering.render import render, render_content
from rendering.sandbox.budget import with_operation_budget
from rendering.types import Recipient, Rendered
from templates_store.models import Brand, TemplateVersion

CHANNELS: tuple[str, ...] = tuple(Channel.values)

# The letter's address window in previews (a test send prints the real recipient).
SAMPLE_RECIPIENT = Recipient(
    name="Alex Sample", address_lines=("1 Sample Street", "Sampletown", "SA1 1AA")
)


@dataclass(frozen=True)
class ChannelPreview:
    """One channel of a preview: ``rendered`` or ``error``, or neither when the version has
    no content for the channel in this locale (``missing``)."""

    channel: str
    locale: str
    rendered: Rendered | None = None
    error: RenderError | None = None

    @property
    def missing(self) -> bool:
        return self.rendered is None and self.error is None

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)


@with_operation_budget
def preview_version(
    *, version: TemplateVersion, locale: str, data: Mapping[str, Any] | None = None
) -> list[ChannelPreview]:
    """Every channel of ``version`` in ``locale``, rendered with its sample data (or ``data``),
    all within one render budget (``rendering.sandbox.budget.operation_budget``)."""
    data = version.sample_data if data is None else data
    present = {(v.channel, v.locale) for v in version.variants.all()}
    previews = []
    for channel in CHANNELS:
        if (channel, locale) not in present:
            previews.append(ChannelPreview(channel=channel, locale=locale))
            continue
        try:
            rendered = render(version, channel, locale, data, recipient=SAMPLE_RECIPIENT)
        except RenderError as exc:
            previews.append(ChannelPreview(channel=channel, locale=locale, error=exc))
        else:
            previews.append(ChannelPreview(channel=channel, locale=locale, rendered=rendered))
    return previews


def preview_content(
    *,
    brand: Brand,
    channel: str,
    locale: str,
    subject: str,
    body_html: str,
    body_text: str,
    data: Mapping[str, Any],
) -> ChannelPreview:
    """One channel of unsaved content (what is being typed in the editor)."""
    if not any(s.strip() for s in (subject, body_html, body_text)):
        return ChannelPreview(channel=channel, locale=locale)
    try:
        rendered = render_content(
            channel=channel,
            locale=locale,
            brand=brand,
            subject=subject,
            body_html=body_html,
            body_text=body_text,
            data=data,
            recipient=SAMPLE_RECIPIENT,
        )
    except RenderError as exc:
        return ChannelPreview(channel=channel, locale=locale, error=exc)
    return ChannelPreview(channel=channel, locale=locale, rendered=rendered)


def preview_pdf_version(*, version: TemplateVersion, locale: str) -> bytes:
    """The letter of ``version`` in ``locale`` as a PDF with its sample data. Raises RenderError."""
    rendered = render(
        version, Channel.PRINT, locale, version.sample_data, recipient=SAMPLE_RECIPIENT
    )
    return render_pdf(rendered)


def preview_pdf_content(
    *, brand: Brand, locale: str, subject: str, body_html: str, data: Mapping[str, Any]
) -> bytes:
    """The PDF of an unsaved letter. Raises RenderError."""
    rendered = render_content(
        channel=Channel.PRINT,
        locale=locale,
        brand=brand,
        subject=subject,
        body_html=body_html,
        body_text="",
        data=data,
        recipient=SAMPLE_RECIPIENT,
    )
    return render_pdf(rendered)


def render_errors(*, version: TemplateVersion, locale: str) -> dict[str, RenderError]:
    """The render error of each channel of ``version`` in ``locale`` that does not render."""
    return {
        p.channel: p.error
        for p in preview_version(version=version, locale=locale)
        if p.error is not None
    }
