"""The encoding of a CSV file: declared, UTF-8, or CP932 as Japanese Excel writes it; a
file that is none of them is refused naming its first bad byte."""

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import charset_normalizer
from django.utils.translation import gettext as _

from channels.uploads.formats import UploadError

# Bytes read from a file at a time.
READ_SIZE = 64 * 1024

# Bytes of a file that is not UTF-8 that charset-normalizer looks at.
_DETECT_SIZE = 256 * 1024
# Encodings taken without a declaration, when charset-normalizer finds them.
_DETECTED = {"cp932", "shift_jis"}


@dataclass(frozen=True)
class _BadByte:
    """Where a file stops being UTF-8: 0-based byte offset, 1-based line and column."""

    offset: int
    line: int
    column: int
    value: int


def _first_bad_utf8(file: IO[bytes]) -> _BadByte | None:
    """The first byte that is not valid UTF-8, or None. Reads the file in chunks and
    rewinds it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    # Bytes read so far, newlines among them, and the offset where the current line starts.
    offset = lines = line_start = 0
    try:
        while True:
            chunk = file.read(READ_SIZE)
            # The decoder keeps an unfinished character (no newline in it) between chunks.
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # ``exc.object`` is the unfinished character followed by this chunk.
                begins = offset - pending
                before = exc.object[: exc.start]
                if (newline := before.rfind(b"\n")) >= 0:
                    lines += before.count(b"\n")
                    line_start = begins + newline + 1
                bad = begins + exc.start
                return _BadByte(bad, lines + 1, bad - line_start + 1, exc.object[exc.start])
            if not chunk:
                return None
            if (newline := chunk.rfind(b"\n")) >= 0:
                lines += chunk.count(b"\n")
                line_start = offset + newline + 1
            offset += len(chunk)
    finally:
        file.seek(0)


def _detected(file: IO[bytes]) -> str | None:
    """``cp932`` when charset-normalizer finds the start of the file to be CP932 text with
    no mess (its chaos measure under 0.1) and the text looks Japanese (``_looks_japanese``),
    else None. Short Japanese samples often have
    an 8-bit code page as their best guess, so CP932 being a clean candidate is enough;
    Latin-1 or Windows-1252 text is refused by the library's mess detection."""
    sample = file.read(_DETECT_SIZE)
    file.seek(0)
    if len(sample) == _DETECT_SIZE and b"\n" in sample:
        # Whole lines only: a character cut in two would look like another encoding.
        sample = sample[: sample.rfind(b"\n") + 1]
    for match in charset_normalizer.from_bytes(sample):
        if match.chaos < 0.1 and _DETECTED & set(match.could_be_from_charset):
            return "cp932" if _looks_japanese(sample) else None
    return None


# Japanese text in CP932 is mostly kana, punctuation and common (JIS level 1) kanji, whose
# lead bytes are 0x81 to 0x9F. Latin-1 and Windows-1252 letters (0xC0 to 0xFF) read as
# CP932 give half-width katakana, rare (level 2) kanji or private-use characters.
_COMMON_LEAD = range(0x81, 0xA0)
_MIN_COMMON = 2


def _looks_japanese(sample: bytes) -> bool:
    """Strong evidence that ``sample`` is CP932 Japanese text: it decodes, holds no
    private-use character, at least two double-byte characters of kana or common kanji,
    which are most of its double-byte characters and outnumber its half-width katakana."""
    try:
        text = sample.decode("cp932")
    except UnicodeDecodeError:
        return False
    common = rare = half_width = 0
    for char in text:
        if char.isascii():
            continue
        if "\ue000" <= char <= "\uf8ff":
            return False
        if "\uff61" <= char <= "\uff9f":
            half_width += 1
            continue
        if char.encode("cp932")[0] in _COMMON_LEAD:
            common += 1
        else:
            rare += 1
    return common >= _MIN_COMMON and common > rare and common > half_width


def _declared(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise UploadError(
            _("unknown encoding %(encoding)r (give a name such as utf-8 or cp932)")
            % {"encoding": encoding}
        ) from exc
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def csv_encoding(*, file: IO[bytes], declared: str | None = None) -> str:
    """The encoding of a CSV file: the ``declared`` one when given; else ``utf-8-sig``
    when the whole file is UTF-8 (with or without BOM); else ``cp932`` when
    charset-normalizer finds the encoding Japanese Excel saves CSV in. Any other file is
    refused (UploadError naming the first byte that is not UTF-8): guessing would fill
    letters with garbled names. Reads the file once, in chunks, and rewinds it."""
    if declared:
        return _declared(declared)
    bad = _first_bad_utf8(file)
    if bad is None:
        return "utf-8-sig"
    detected = _detected(file)
    if detected:
        return detected
    raise UploadError(
        _(
            "the file is not UTF-8: byte 0x%(byte)02X at offset %(offset)s (column "
            "%(column)s) is not valid UTF-8; save it as UTF-8 or declare its encoding "
            "(encoding=..., or charset= in the Content-Type)"
        )
        % {"byte": bad.value, "offset": bad.offset, "column": bad.column},
        line=bad.line,
    )


def declared_encoding(*, content_type: str | None, parameter: str | None = None) -> str | None:
    """The encoding a sender declares: an ``encoding`` parameter, else the ``charset=`` of
    the Content-Type; None when neither is given."""
    if parameter and parameter.strip():
        return parameter.strip()
    for part in (content_type or "").split(";")[1:]:
        key, _sep, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def text_lines(file: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, decoded line with its newline) for each line of a binary file.

    Splitting on the newline byte is safe for UTF-8 and CP932: neither uses 0x0A inside a
    multi-byte character.
    """
    label = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
    for number, raw in enumerate(file, start=1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UploadError(
                _("bytes that are not valid %(encoding)s at column %(column)s")
                % {"encoding": label, "column": exc.start + 1},
                line=number,
            ) from exc
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text
