"""Keyset cursors of the archive's pages: a time and an id, as one opaque string."""

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def page_cursor(moment: dt.datetime, pk: int) -> str:
    micros = (moment - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}-{pk}"


def page_cursor_parse(cursor: str) -> tuple[dt.datetime, int] | None:
    micros, _, pk = cursor.partition("-")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
