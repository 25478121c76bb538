"""The archive search: every criterion on an index, pages by keyset, bounded counts."""

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Lower, StrIndex
from django.utils import timezone

from compliance.models import ArchiveEntry
from compliance.selectors.paging import page_cursor, page_cursor_parse
from customers.models import Customer


def _with_related(entries: QuerySet[ArchiveEntry]) -> QuerySet[ArchiveEntry]:
    # Customers and messages come in a second query each: joined, a page of 50 entries
    # could make the planner hash-join a whole table before it applies the LIMIT.
    return entries.select_related("communication", "version").prefetch_related(
        "customer", "message"
    )


def archive_entry_search(
    *,
    query: str = "",
    channel: str = "",
    batch: int | None = None,
    communication: str = "",
    version: int | None = None,
    status: str = "",
    words: str = "",
    is_test: bool | None = None,
) -> QuerySet[ArchiveEntry]:
    """Archive entries matching every given criterion, newest first.

    ``query`` matches the recipient (address or phone, exact or prefix), the customer's
    external id or the recipient's name; ``words`` the email subject or SMS text;
    ``status`` the message's delivery status. Every condition has an index on PostgreSQL
    (see migrations compliance 0005, 0007 and 0008), so searches stay fast at millions of entries.
    """
    qs = _with_related(ArchiveEntry.objects.all())
    if query:
        # Resolved first: an OR across a join would defeat the indexes.
        customer_ids = list(Customer.objects.filter(external_id=query).values_list("id", flat=True))
        condition = Q(recipient__startswith=query)
        if customer_ids:
            condition |= Q(customer_id__in=customer_ids)
        elif "@" not in query and query[0] not in "+0123456789":
            # Not a customer id, an address or a phone number: it may be a name. The
            # trigram search stays out of the other lookups, which are plain index ones.
            condition |= Q(recipient_name__icontains=query)
        elif _recipient_prefix_sparse(query):
            qs = qs.alias(sort_at=_SORT_AT)
        qs = qs.filter(condition)
    if channel:
        qs = qs.filter(channel=channel)
    if batch:
        qs = qs.filter(message__batch_id=batch)
    if communication:
        qs = qs.filter(communication__key=communication)
    if version:
        qs = qs.filter(version__number=version)
    if status:
        qs = qs.filter(message__status=status)
    if words:
        qs = _words_filter(qs, words)
    if is_test is not None:
        qs = qs.filter(is_test=is_test)
    return qs.order_by(*_newest_first(qs))


# Below this many matches, the entries whose recipient starts with a prefix are found on
# the recipient index (with their times: migration compliance 0008) and sorted, which
# takes milliseconds; walking the time index newest first to find them would read the
# whole table when they are fewer than a page. Above it they are dense enough for the walk.
_SPARSE_PREFIX_MATCHES = 10_000
# created_at as an expression: the same order, which the time index cannot give, so
# PostgreSQL sorts the matches instead of walking that index.
_SORT_AT = ExpressionWrapper(F("created_at") + Value(dt.timedelta(0)), output_field=DateTimeField())


def _recipient_prefix_sparse(prefix: str) -> bool:
    """Whether fewer than _SPARSE_PREFIX_MATCHES entries have a recipient starting with
    ``prefix`` (counted on the recipient index, stopping there). PostgreSQL only."""
    if connection.vendor != "postgresql":
        return False
    matches = ArchiveEntry.objects.filter(recipient__startswith=prefix).order_by().values("pk")
    return matches[:_SPARSE_PREFIX_MATCHES].count() < _SPARSE_PREFIX_MATCHES


def _newest_first(entries: QuerySet[ArchiveEntry], *, reverse: bool = False) -> tuple[Any, Any]:
    """The order of a search's entries: newest first (oldest first with ``reverse``), by
    the sort time the search chose (``sort_at``) or the time index."""
    at = F("sort_at") if "sort_at" in entries.query.annotations else F("created_at")
    if reverse:
        return at.asc(), F("id").asc()
    return at.desc(), F("id").desc()


# A word found in more than this share of entries narrows nothing: its posting list is
# nearly as long as the table, so the index search leaves it out and the text check keeps it.
COMMON_WORD_SHARE = 0.05
_COMMON_WORDS_SECONDS = 600.0
_common_words_cache: dict[str, tuple[float, list[str]]] = {}


def archive_common_words() -> list[str]:
    """The indexed words found in more than COMMON_WORD_SHARE of the archive entries, as
    PostgreSQL's statistics on the words index have them (kept for ten minutes)."""
    cached = _common_words_cache.get(connection.alias)
    if cached is not None and time.monotonic() - cached[0] < _COMMON_WORDS_SECONDS:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'archive_words'"
        )
        row = cursor.fetchone()
    common: list[str] = []
    if row is not None and row[0] is not None:
        # The frequencies end with three summary numbers that pair with no word.
        common = [
            word for word, share in zip(row[0], row[1], strict=False) if share > COMMON_WORD_SHARE
        ]
    _common_words_cache[connection.alias] = (time.monotonic(), common)
    return common


def _words_filter(qs: QuerySet[ArchiveEntry], words: str) -> QuerySet[ArchiveEntry]:
    """Entries whose subject (or SMS text) holds every word of ``words``, case-insensitively.

    On PostgreSQL the full-text index (migration compliance 0007) finds the entries holding
    the typed words that are not common (for Japanese and Chinese, two-character
    sequences); each typed word is then checked in the text of those entries only.
    """
    typed = words.split()
    if connection.vendor != "postgresql":
        for word in typed:
            qs = qs.filter(subject__icontains=word)
        return qs
    match = Func(
        F("subject"),
        Func(
            Value(words),
            Value(archive_common_words()),
            function="ccm_archive_words_query",
            output_field=TextField(),
        ),
        # ccm_archive_words(subject) @@ (ccm_archive_words_query(words, common)): the
        # expression of the index.
        template="ccm_archive_words(%(expressions)s)",
        arg_joiner=") @@ (",
        output_field=BooleanField(),
    )
    qs = qs.filter(match)
    for index, word in enumerate(typed):
        position = StrIndex(Lower("subject"), Lower(Value(word)))
        qs = qs.alias(**{f"word_{index}_at": position}).filter(**{f"word_{index}_at__gt": 0})
    return qs


@dataclass(frozen=True)
class ArchivePage:
    """One page of a search, newest first, with the cursors of the pages either side
    ("" when there is none) and the number of matches counted up to ``count_limit``."""

    entries: list[ArchiveEntry]
    older: str
    newer: str
    total: int
    count_limit: int

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def more_than_limit(self) -> bool:
        return self.total > self.count_limit


_NOT_LISTED = (
    "data",
    "communication__description",
    "communication__data_schema",
    "version__sample_data",
    "version__block_pins",
    "version__theme_pin",
    "customer__channel_preference",
    "customer__postal_address",
    "message__data",
    "message__last_error",
)


def archive_entry_page(
    *,
    entries: QuerySet[ArchiveEntry],
    older: str = "",
    newer: str = "",
    size: int = 50,
    count_limit: int = 1000,
) -> ArchivePage:
    """A page of ``entries`` (newest first) by keyset: the ``size`` entries older than
    the ``older`` cursor, or newer than the ``newer`` one, or the newest. Each page walks
    the (created_at, id) index from where the last one stopped, and the count stops at
    ``count_limit`` + 1, so the thousandth page of a million matches costs what the
    first does. An unreadable cursor gives the newest page.

    The search itself reads only ids (the newest page reads up to ``count_limit`` + 1 of
    them, which is also its count); the page's rows are then fetched by primary key.
    """
    keys = entries.order_by(*_newest_first(entries)).values_list("pk", flat=True)
    total = -1
    if (after := page_cursor_parse(newer)) is not None:
        moment, pk = after
        newer_ids = list(
            entries.filter(created_at__gte=moment)
            .exclude(created_at=moment, id__lte=pk)
            .order_by(*_newest_first(entries, reverse=True))
            .values_list("pk", flat=True)[: size + 1]
        )
        ids, more_newer, more_older = newer_ids[:size][::-1], len(newer_ids) > size, True
    elif (before := page_cursor_parse(older)) is not None:
        moment, pk = before
        older_ids = list(
            keys.filter(created_at__lte=moment).exclude(created_at=moment, id__gte=pk)[: size + 1]
        )
        ids, more_older, more_newer = older_ids[:size], len(older_ids) > size, True
    else:
        newest_ids = list(keys[: max(size, count_limit) + 1])
        ids, more_older, more_newer = newest_ids[:size], len(newest_ids) > size, False
        total = len(newest_ids)
    if total < 0:
        total = keys[: count_limit + 1].count()
    # By primary key the joins stay on these rows: one query. A list shows none of the
    # rendering data, schemas or samples: they are left unread.
    rows = (
        ArchiveEntry.objects.select_related("communication", "version", "customer", "message")
        .defer(*_NOT_LISTED)
        .in_bulk(ids)
    )
    page = [rows[pk] for pk in ids if pk in rows]
    return ArchivePage(
        entries=page,
        older=page_cursor(page[-1].created_at, page[-1].pk) if page and more_older else "",
        newer=page_cursor(page[0].created_at, page[0].pk) if page and more_newer else "",
        total=total,
        count_limit=count_limit,
    )


def archive_entries_between(
    *,
    entries: QuerySet[ArchiveEntry],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[ArchiveEntry]:
    """``entries`` archived on or after ``date_from`` and on or before ``date_to`` (whole
    days in the current time zone; compared as times so the created_at index serves)."""
    zone = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, zone))
    if date_to:
        next_day = date_to + dt.timedelta(days=1)
        entries = entries.filter(created_at__lt=dt.datetime.combine(next_day, dt.time.min, zone))
    return entries
