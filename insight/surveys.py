"""Survey links: what templates call, and how a click finds its message again.

A link must be known when the message is rendered, and ``render`` is pure: it knows the
version, channel, recipient and the message's date, not the message's id. The link
therefore carries a *message reference* made of exactly those (the recipient as a short
digest, never in clear), signed with ``django.core.signing`` under its own salt. The
same message always renders the same links, so the archive's re-render check still
matches, and a click finds the message by version, channel, day and recipient.

Tokens:
- ``<reference>.<score>:<signature>``: one click records that score;
- ``<reference>:<signature>``: the answer page with every score (SMS short link, QR code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models.functions import MD5, Left
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ccm.vocabulary import Channel
from channels.models import Message
from insight.models import Survey
from rendering.types import RenderScope

SALT = "insight.survey"
CHANNEL_CODES = {"email": "e", "sms": "s", "print": "p"}
CHANNELS_BY_CODE = {code: channel for channel, code in CHANNEL_CODES.items()}
DIGEST_LENGTH = 12
SCORE_RANGE = range(0, 11)
_CACHE_SECONDS = 60


class SurveyLinkError(Exception):
    """A survey link that cannot be answered; ``reason`` is shown to the customer."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Reference:
    """Which message a survey link belongs to (version 0: a preview, no message)."""

    version_id: int
    channel: str
    day: dt.date
    digest: str

    def __str__(self) -> str:
        code = CHANNEL_CODES[self.channel]
        return f"{self.version_id}.{code}.{self.day:%Y%m%d}.{self.digest}"


def recipient_digest(address_lines: tuple[str, ...] | list[str]) -> str:
    lines = [line.strip() for line in address_lines if line.strip()]
    # MD5 because every database computes it (PostgreSQL without extensions): it only
    # finds the message again; the signature is what protects the link.
    text = "\n".join(lines).encode("utf-8")
    return hashlib.md5(text, usedforsecurity=False).hexdigest()[:DIGEST_LENGTH]


def reference_for_scope(scope: RenderScope) -> Reference:
    return Reference(
        version_id=scope.version.pk if scope.version is not None and scope.version.pk else 0,
        channel=scope.channel,
        day=scope.letter_date,
        digest=recipient_digest(scope.recipient.address_lines),
    )


def reference_for_message(message: Message) -> Reference:
    """The reference the pipeline's render gives ``message`` (same inputs, same result)."""
    from django.utils import timezone

    return Reference(
        version_id=message.version_id,
        channel=message.channel,
        day=timezone.localdate(message.created_at),
        digest=recipient_digest(message.recipient.splitlines()),
    )


def token_make(reference: Reference, score: int | None = None) -> str:
    value = str(reference) if score is None else f"{reference}.{score}"
    return signing.Signer(salt=SALT).sign(value)


def token_read(token: str) -> tuple[Reference, int | None]:
    """The reference and score (None: the page with every score) of a signed token.
    Raises SurveyLinkError when the token was not made here or was altered."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature as exc:
        raise SurveyLinkError(gettext("This survey link is not valid.")) from exc
    parts = value.split(".")
    try:
        if len(parts) not in (4, 5) or parts[1] not in CHANNELS_BY_CODE:
            raise ValueError(value)
        reference = Reference(
            version_id=int(parts[0]),
            channel=CHANNELS_BY_CODE[parts[1]],
            day=dt.datetime.strptime(parts[2], "%Y%m%d").date(),
            digest=parts[3],
        )
        score = int(parts[4]) if len(parts) == 5 else None
    except ValueError as exc:
        raise SurveyLinkError(gettext("This survey link is not valid.")) from exc
    return reference, score


def message_for_reference(reference: Reference) -> Message | None:
    """The newest message the reference points at, or None (a preview, or unknown)."""
    if not reference.version_id:
        return None
    candidates = Message.objects.filter(
        version_id=reference.version_id,
        channel=reference.channel,
        created_at__date=reference.day,
    ).select_related("customer", "version__communication")
    match = (
        candidates.annotate(digest=Left(MD5("recipient"), DIGEST_LENGTH))
        .filter(digest=reference.digest)
        .order_by("-id")
        .first()
    )
    if match is not None or reference.channel != Channel.PRINT:
        return match
    # A postal address may be stored with blank lines or spaces the render strips.
    for message_id, recipient in candidates.order_by("-id").values_list("id", "recipient"):
        if recipient_digest(recipient.splitlines()) == reference.digest:
            return candidates.get(pk=message_id)
    return None


def survey_url(token: str) -> str:
    base = settings.CCM_BASE_URL.rstrip("/")
    return base + reverse("survey:answer", args=[token])


def survey_for_communication(communication_id: int | None) -> Survey | None:
    """The survey a communication carries (cached a minute; changes clear it)."""
    if communication_id is None:
        return None
    key = survey_cache_key(communication_id)
    found = cache.get(key)
    if found is None:
        survey = Survey.objects.filter(communication_id=communication_id).first()
        found = ("survey", survey)
        cache.set(key, found, _CACHE_SECONDS)
    return found[1]  # type: ignore[no-any-return]


def survey_cache_key(communication_id: int) -> str:
    return f"insight:survey:{communication_id}"


def default_question(kind: str) -> str:
    if kind == Survey.Kind.CSAT:
        return gettext("How satisfied are you with this message?")
    return gettext("How likely are you to recommend us to a friend or colleague?")


def scale_labels(kind: str) -> tuple[str, str]:
    if kind == Survey.Kind.CSAT:
        return gettext("Very dissatisfied"), gettext("Very satisfied")
    return gettext("Not at all likely"), gettext("Extremely likely")


# TEMPLATE FUNCTIONS ---------------------------------------------------------------------
# Each render makes these for its scope; the reference is worked out when a template
# calls one (most templates call none).


def _survey_link(scope: RenderScope) -> Callable[[Any], str]:
    def survey_link(score: Any = None) -> str:
        """The one-click link recording ``score``; without a score, the answer page."""
        reference = reference_for_scope(scope)
        if score is None:
            return survey_url(token_make(reference))
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORE_RANGE:
            raise ValueError(f"survey_link: the score must be a whole number 0-10, not {score!r}")
        return survey_url(token_make(reference, score))

    return survey_link


def _survey_links(scope: RenderScope) -> Callable[[], SafeString]:
    def survey_links() -> SafeString:
        """The question and one link per score, for an HTML email."""
        reference = reference_for_scope(scope)
        communication_id = scope.version.communication_id if scope.version else None
        survey = survey_for_communication(communication_id)
        if scope.version is not None and (survey is None or survey.closed_at is not None):
            return SafeString("")  # the communication asks nothing (any more)
        kind = survey.kind if survey else Survey.Kind.NPS
        scores = range(1, 6) if kind == Survey.Kind.CSAT else range(0, 11)
        with translation.override(scope.locale):
            question = (survey.question if survey else "") or default_question(kind)
            low, high = scale_labels(kind)
        cells = format_html_join(
            "",
            '<td style="padding:2px"><a href="{}" style="display:inline-block;min-width:28px;'
            "padding:6px 4px;border:1px solid #888;border-radius:4px;text-align:center;"
            'text-decoration:none;color:inherit">{}</a></td>',
            ((survey_url(token_make(reference, s)), s) for s in scores),
        )
        return format_html(
            '<table class="survey" role="presentation" style="border-collapse:collapse;'
            'margin:16px 0"><tr><td colspan="{}" style="padding:4px 2px"><strong>{}</strong>'
            '</td></tr><tr>{}</tr><tr><td colspan="{}" style="padding:2px;font-size:12px">'
            "{} &larr; &rarr; {}</td></tr></table>",
            len(scores),
            question,
            cells,
            len(scores),
            low,
            high,
        )

    return survey_links


def _survey_qr(scope: RenderScope) -> Callable[..., SafeString]:
    def survey_qr(size_mm: Any = 25) -> SafeString:
        """A QR code of the answer page, as an image a letter can print."""
        reference = reference_for_scope(scope)
        try:
            size = max(10, min(int(size_mm), 60))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"survey_qr: size in millimetres, not {size_mm!r}") from exc
        svg = segno.make(survey_url(token_make(reference)), error="m").svg_data_uri(
            border=2, scale=1
        )
        with translation.override(scope.locale):
            alt = gettext("QR code of the survey")
        return format_html(
            '<img class="survey-qr" src="{}" alt="{}" style="width:{}mm;height:{}mm">',
            svg,
            alt,
            size,
            size,
        )

    return survey_qr


TEMPLATE_FUNCTIONS: dict[str, Callable[[RenderScope], Any]] = {
    "survey_link": _survey_link,
    "survey_links": _survey_links,
    "survey_qr": _survey_qr,
}
