"""Window envelopes and the page a letter is laid out on for each.

Every measure is in millimetres from the top-left corner of the first page. The
``window`` is where the folded letter shows through the envelope's window: the sender
line and the recipient's address are placed inside it, and print tests check from the
PDF's text positions that they are.

- DIN 5008 form B (A4 in DL and C5 window envelopes, DIN 680): the address field is
  20 mm from the left edge and 45 mm from the top, 85 x 45 mm; its upper 17.7 mm are the
  return-address and notes zone, the lower 27.3 mm the address zone. DL is folded twice
  (into thirds), C5 once.
- US #10 window envelope (9 1/2 x 4 1/8 in, window 4 1/2 x 1 1/8 in, 7/8 in from the left
  and 1/2 in from the bottom): US Letter in thirds shows the area 7/8 in from the left
  and 2 in from the top.
- Japanese Naga 3 (長形3号, 120 x 235 mm) window envelope: A4 in thirds; the common
  window (90 x 45 mm) shows the area 20 mm from the left and 20 mm from the top, where
  the postal code comes first; the letterhead goes to the right.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class EnvelopeFormat:
    key: str
    # CSS page size and its measures.
    page_size: str
    page_width: float
    page_height: float
    # Page margins: top, right, bottom, left.
    margins: tuple[float, float, float, float]
    window: Box
    # Where the address starts below the window's top (the sender line sits just above).
    address_offset: float
    # Sheets a print shop puts in one such envelope at most.
    max_sheets: int

    def relative(self, box: Box) -> Box:
        """``box`` relative to the page area (what CSS absolute positions use)."""
        top, _, _, left = self.margins
        return Box(box.left - left, box.top - top, box.width, box.height)


_A4 = ("A4", 210.0, 297.0)
_LETTER = ("letter", 215.9, 279.4)

ENVELOPES: dict[str, EnvelopeFormat] = {
    "din_dl": EnvelopeFormat(
        "din_dl", *_A4, (20, 20, 25, 25), Box(20, 45, 85, 45), 17.7, max_sheets=5
    ),
    "din_c5": EnvelopeFormat(
        "din_c5", *_A4, (20, 20, 25, 25), Box(20, 45, 85, 45), 17.7, max_sheets=10
    ),
    "us_10": EnvelopeFormat(
        "us_10", *_LETTER, (25.4, 25.4, 22, 25.4), Box(22.2, 50.8, 95, 28.6), 5.5, max_sheets=5
    ),
    "jp_naga3": EnvelopeFormat(
        "jp_naga3", *_A4, (15, 20, 25, 20), Box(20, 20, 90, 45), 7, max_sheets=5
    ),
}
DEFAULT_ENVELOPE = "din_dl"


def envelope_format(key: str) -> EnvelopeFormat:
    try:
        return ENVELOPES[key or DEFAULT_ENVELOPE]
    except KeyError:
        raise ImproperlyConfigured(
            f"unknown letter envelope {key!r}; one of {', '.join(ENVELOPES)}"
        ) from None
