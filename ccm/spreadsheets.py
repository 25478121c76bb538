"""CSV written for people opens in spreadsheets: a cell must never run as a formula."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def escape_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with a quote (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets pick the encoding) with every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_formula(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
