"""How carriers count an SMS: GSM-7 (with its extension table) or UCS-2, and segments.

GSM-7 fits 160 septets in one message and 153 per part when concatenated; a character
of the extension table (``{ } [ ] ~ \\ | ^ €`` and form feed) costs two septets and is
never split across parts. Anything outside GSM-7 switches the whole message to UCS-2:
70 UTF-16 code units in one message, 67 per part, never splitting a surrogate pair.
"""

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"

_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsInfo:
    encoding: str
    characters: int
    # Septets for GSM-7, UTF-16 code units for UCS-2.
    units: int
    segments: int
    # Characters that forced UCS-2 (empty for GSM-7), for the designer's warning.
    non_gsm_characters: tuple[str, ...] = ()


def _unit_costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sms_analyse(text: str) -> SmsInfo:
    """Return the encoding, length in units and number of segments of ``text``."""
    non_gsm = tuple(
        dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION)
    )
    encoding = UCS2 if non_gsm else GSM7
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    single, part = _LIMITS[encoding]
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = len(_split_costs(costs, part))
    return SmsInfo(
        encoding=encoding,
        characters=len(text),
        units=units,
        segments=segments,
        non_gsm_characters=non_gsm,
    )


def _split_costs(costs: list[int], part: int) -> list[tuple[int, int]]:
    """Split character costs into [start, end) ranges of at most ``part`` units each.

    A character is never split, so an escape (2 septets) or surrogate pair (2 units)
    that would straddle a boundary moves whole to the next part.
    """
    ranges: list[tuple[int, int]] = []
    start = 0
    used = 0
    for index, cost in enumerate(costs):
        if used + cost > part:
            ranges.append((start, index))
            start, used = index, 0
        used += cost
    ranges.append((start, len(costs)))
    return ranges


def sms_split(text: str) -> list[str]:
    """The parts a carrier would send for ``text`` (one part when it fits in one SMS)."""
    info = sms_analyse(text)
    if info.segments <= 1:
        return [text] if text else []
    _, part = _LIMITS[info.encoding]
    return [text[a:b] for a, b in _split_costs(_unit_costs(text, info.encoding), part)]
