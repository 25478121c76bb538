"""Signed links inside emails: one-click unsubscribe (RFC 8058), click redirects and the
open pixel.

Each token is made with ``django.core.signing`` under its own salt, so a token of one
kind is worthless as another. A click token carries its target address inside the
signature: the redirect goes only where the email's own link pointed (no open redirect).
"""

import html
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "ccm.email.unsubscribe"
CLICK_SALT = "ccm.email.click"
OPEN_SALT = "ccm.email.open"


class EmailLinkError(Exception):
    """The link was not made here, or was altered."""


def _absolute(path: str) -> str:
    return settings.CCM_BASE_URL.rstrip("/") + path


def _message_token(salt: str, message_id: int) -> str:
    return signing.Signer(salt=salt).sign(str(message_id))


def _message_read(salt: str, token: str) -> int:
    try:
        return int(signing.Signer(salt=salt).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise EmailLinkError(token) from exc


def unsubscribe_url(message_id: int) -> str:
    token = _message_token(UNSUBSCRIBE_SALT, message_id)
    return _absolute(reverse("email_links:unsubscribe", args=[token]))


def unsubscribe_token_read(token: str) -> int:
    """The message id an unsubscribe token was made for; EmailLinkError if forged."""
    return _message_read(UNSUBSCRIBE_SALT, token)


def open_url(message_id: int) -> str:
    token = _message_token(OPEN_SALT, message_id)
    return _absolute(reverse("email_links:open", args=[token]))


def open_token_read(token: str) -> int:
    return _message_read(OPEN_SALT, token)


@dataclass(frozen=True)
class Click:
    message_id: int
    url: str


def click_url(message_id: int, target: str) -> str:
    token = signing.Signer(salt=CLICK_SALT).sign_object({"m": message_id, "u": target})
    return _absolute(reverse("email_links:click", args=[token]))


def click_token_read(token: str) -> Click:
    """The message and target of a click token; EmailLinkError if forged or not http(s)."""
    try:
        value: Any = signing.Signer(salt=CLICK_SALT).unsign_object(token)
        click = Click(message_id=int(value["m"]), url=str(value["u"]))
    except (signing.BadSignature, ValueError, KeyError, TypeError) as exc:
        raise EmailLinkError(token) from exc
    if not _TRACKABLE.match(click.url):
        raise EmailLinkError(token)
    return click


_TRACKABLE = re.compile(r"https?://", re.IGNORECASE)
# The href of an <a> element, double- or single-quoted (css-inline writes double quotes).
_ANCHOR_HREF = re.compile(
    r"""(<a\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE | re.DOTALL
)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def html_track(*, html_text: str, message_id: int) -> str:
    """``html_text`` with each http(s) link of an ``<a>`` going through a signed click
    redirect, and a 1x1 open pixel at the end of the body. Other links (mailto:, tel:,
    anchors) stay as they are."""

    def rewrite(match: re.Match[str]) -> str:
        raw = match.group(2) if match.group(2) is not None else match.group(3)
        target = html.unescape(raw).strip()
        if not _TRACKABLE.match(target):
            return match.group(0)
        return f'{match.group(1)}"{html.escape(click_url(message_id, target))}"'

    tracked = _ANCHOR_HREF.sub(rewrite, html_text)
    pixel = (
        f'<img src="{html.escape(open_url(message_id))}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px">'
    )
    parts = _BODY_END.split(tracked, maxsplit=1)
    if len(parts) == 2:
        return f"{parts[0]}{pixel}</body>{parts[1]}"
    return tracked + pixel
