"""The values a render makes and knows: ``Rendered`` (what a channel sends), the
``Recipient`` of a letter and the ``RenderScope`` template functions are given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rendering.sms_encoding import SmsInfo
from rendering.sources import VersionSource


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """What a channel sends. Email: subject, html, text. SMS: text. Print: html (a letter).

    ``blocks`` names the block versions the content used, as (key, number), and
    ``theme_version`` the theme version (None: the brand's own colours); ``pinned`` says
    whether they are the versions pinned at submission or the latest published ones.
    """

    channel: str
    locale: str
    subject: str = ""
    html: str = ""
    text: str = ""
    sms: SmsInfo | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    blocks: tuple[tuple[str, int], ...] = ()
    theme_version: int | None = None
    pinned: bool = False


@dataclass(frozen=True)
class RenderScope:
    """What a render knows besides the data; given to the template functions other apps
    register (``rendering.environment.TEMPLATE_FUNCTIONS``)."""

    channel: str
    locale: str
    version: VersionSource | None
    recipient: Recipient
    letter_date: dt.date
