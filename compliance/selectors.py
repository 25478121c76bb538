import base64
import datetime as dt
import email
import hashlib
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.files.storage import storages
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

from compliance.models import AccessLog, ArchiveEntry, LegalHold, Seal
from compliance.retention import entry_expires_at, legal_hold_matches
from compliance.services import artifact_read
from customers.models import Customer
from rendering.sms_encoding import SmsInfo, sms_analyse
from templates_store.models import ReviewEvent


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


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _cursor(moment: dt.datetime, pk: int) -> str:
    micros = (moment - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}-{pk}"


def _cursor_parse(cursor: str) -> tuple[dt.datetime, int] | None:
    micros, _, pk = cursor.partition("-")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)


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
    if (after := _cursor_parse(newer)) is not None:
        moment, pk = after
        newer_ids = list(
            entries.filter(created_at__gte=moment)
            .exclude(created_at=moment, id__lte=pk)
            .order_by(*_newest_first(entries, reverse=True))
            .values_list("pk", flat=True)[: size + 1]
        )
        ids, more_newer, more_older = newer_ids[:size][::-1], len(newer_ids) > size, True
    elif (before := _cursor_parse(older)) is not None:
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
        older=_cursor(page[-1].created_at, page[-1].pk) if page and more_older else "",
        newer=_cursor(page[0].created_at, page[0].pk) if page and more_newer else "",
        total=total,
        count_limit=count_limit,
    )


def archive_entry_get(*, pk: int) -> ArchiveEntry:
    return ArchiveEntry.objects.select_related(
        "communication", "version__approved_by", "version__author", "customer", "message__batch"
    ).get(pk=pk)


@dataclass(frozen=True)
class AccessLogPage:
    """One page of the access log, newest first, with the cursors of the pages either
    side ("" when there is none)."""

    logs: list[AccessLog]
    older: str
    newer: str

    def __iter__(self) -> Any:
        return iter(self.logs)

    def __len__(self) -> int:
        return len(self.logs)


def access_log_page(
    *, older: str = "", newer: str = "", size: int = 50, **filters: Any
) -> AccessLogPage:
    """A page of the access log matching ``filters`` (newest first) by keyset on (at, id):
    the ``size`` records older than the ``older`` cursor, or newer than the ``newer`` one,
    or the newest. Nothing is counted: every look at the archive adds a record, and each
    page costs what the first does however long the log grows. An unreadable cursor gives
    the newest page."""
    logs = AccessLog.objects.select_related("actor").filter(**filters)
    if (after := _cursor_parse(newer)) is not None:
        moment, pk = after
        rows = list(
            logs.filter(Q(at__gt=moment) | Q(at=moment, id__gt=pk)).order_by("at", "id")[: size + 1]
        )
        page, more_newer, more_older = rows[:size][::-1], len(rows) > size, True
    elif (before := _cursor_parse(older)) is not None:
        moment, pk = before
        rows = list(
            logs.filter(Q(at__lt=moment) | Q(at=moment, id__lt=pk)).order_by("-at", "-id")[
                : size + 1
            ]
        )
        page, more_older, more_newer = rows[:size], len(rows) > size, True
    else:
        rows = list(logs.order_by("-at", "-id")[: size + 1])
        page, more_older, more_newer = rows[:size], len(rows) > size, False
    return AccessLogPage(
        logs=page,
        older=_cursor(page[-1].at, page[-1].pk) if page and more_older else "",
        newer=_cursor(page[0].at, page[0].pk) if page and more_newer else "",
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


def access_log_actors() -> QuerySet[Any]:
    """The people who appear in the access log, by username."""
    user_model = get_user_model()
    actor_ids = AccessLog.objects.values("actor_id")
    return user_model.objects.filter(pk__in=actor_ids).order_by(user_model.USERNAME_FIELD)


def artifact_open(*, entry: ArchiveEntry) -> IO[bytes]:
    """The stored artifact of ``entry``, opened for reading. Raises FileNotFoundError."""
    return storages["archive"].open(entry.artifact_name, "rb")


# Shown inside a sandboxed iframe: nothing may load from anywhere (no tracking pixel, no
# remote font); inline styles and images embedded in the message still show.
_EMAIL_DISPLAY_POLICY = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; font-src data:\">\n"
)
EMAIL_HEADERS = (
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
)


@dataclass(frozen=True)
class EmailArtifact:
    """An archived email as parsed from its RFC 822 bytes."""

    headers: list[tuple[str, str]]
    subject: str
    html: str
    text: str
    attachments: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def html_for_display(self) -> str:
        """The HTML part for an ``<iframe sandbox srcdoc>``, with a policy that blocks
        every remote load; the archived bytes are unchanged."""
        return _EMAIL_DISPLAY_POLICY + self.html if self.html else ""


@dataclass(frozen=True)
class ArtifactContent:
    """What the archive holds for an entry, and whether it is still the same bytes."""

    found: bool
    sha256: str = ""
    size: int = 0
    email: EmailArtifact | None = None
    sms_text: str = ""
    sms: SmsInfo | None = None
    problem: str = ""

    @property
    def matches(self) -> bool:
        return self.found and not self.problem


def _inline_images(message: EmailMessage) -> dict[str, str]:
    images = {}
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_maintype() == "image":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            encoded = base64.b64encode(payload).decode("ascii")
            images[content_id.strip("<>")] = f"data:{part.get_content_type()};base64,{encoded}"
    return images


def _part_size(part: Any) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def email_artifact_parse(content: bytes) -> EmailArtifact:
    """Headers, HTML and text parts of RFC 822 bytes; images sent inline (``cid:``) are
    embedded so that they show without any request."""
    message = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    html = html_part.get_content() if html_part is not None else ""
    for content_id, data_uri in _inline_images(message).items():
        html = html.replace(f"cid:{content_id}", data_uri)
    attachments = [
        (part.get_filename() or "", part.get_content_type(), _part_size(part))
        for part in message.iter_attachments()
    ]
    return EmailArtifact(
        headers=[(name, str(message[name])) for name in EMAIL_HEADERS if message[name] is not None],
        subject=str(message["Subject"] or ""),
        html=html,
        text=text_part.get_content() if text_part is not None else "",
        attachments=attachments,
    )


def archive_entry_artifact(*, entry: ArchiveEntry) -> ArtifactContent:
    """Read the entry's artifact, recompute its sha256 and parse it for display: an
    email's headers and parts, an SMS's text with its encoding and segments. Reads only."""
    try:
        content = artifact_read(entry=entry)
    except FileNotFoundError:
        return ArtifactContent(found=False, problem="missing")
    digest = hashlib.sha256(content).hexdigest()
    problem = "" if digest == entry.artifact_sha256 else "sha256"
    base: dict[str, Any] = {
        "found": True,
        "sha256": digest,
        "size": len(content),
        "problem": problem,
    }
    if entry.content_type == "message/rfc822":
        return ArtifactContent(**base, email=email_artifact_parse(content))
    if entry.content_type.startswith("text/"):
        text = content.decode("utf-8", errors="replace")
        return ArtifactContent(**base, sms_text=text, sms=sms_analyse(text))
    return ArtifactContent(**base)


# EVIDENCE, HOLDS AND INTEGRITY ---------------------------------------------------------


def customer_by_external_id(*, external_id: str) -> Customer | None:
    if not external_id:
        return None
    return Customer.objects.filter(external_id=external_id).first()


def archive_entries_for_customer(*, customer: Customer) -> QuerySet[ArchiveEntry]:
    """Everything the archive holds that was sent to ``customer`` (a subject access
    request), newest first; test sends are not sent to customers and are left out."""
    return ArchiveEntry.objects.select_related(
        "communication", "version", "customer", "message"
    ).filter(customer=customer, is_test=False)


def legal_hold_list() -> QuerySet[LegalHold]:
    return LegalHold.objects.select_related(
        "owner", "released_by", "customer", "batch", "communication"
    )


def legal_holds_for_entry(*, entry: ArchiveEntry) -> list[LegalHold]:
    """The active holds that keep ``entry`` from the retention purge."""
    holds = LegalHold.objects.filter(released_at__isnull=True).order_by("created_at", "id")
    return [hold for hold in holds if legal_hold_matches(hold, entry)]


@dataclass(frozen=True)
class Retention:
    expires_at: dt.datetime
    holds: list[LegalHold]


def archive_entry_retention(*, entry: ArchiveEntry) -> Retention:
    """When ``entry`` expires, and the active holds that keep it longer."""
    return Retention(expires_at=entry_expires_at(entry), holds=legal_holds_for_entry(entry=entry))


@dataclass(frozen=True)
class ApprovalRecord:
    """Who wrote and approved the version an entry was rendered from, and whether the
    content hash recorded at approval is the one the entry was sent with."""

    author: Any
    submitted_at: dt.datetime | None
    approved_by: Any
    approved_at: dt.datetime | None
    approved_hash: str
    entry_hash: str
    current_hash: str
    # False when no approval event carries the hash and the version's own is shown.
    hash_from_approval: bool = True

    @property
    def matches(self) -> bool:
        return bool(self.approved_hash) and self.approved_hash == self.entry_hash

    @property
    def content_unchanged(self) -> bool:
        """The version's content still hashes to what was approved."""
        return bool(self.approved_hash) and self.current_hash == self.approved_hash


def archive_entry_approval(*, entry: ArchiveEntry) -> ApprovalRecord:
    version = entry.version
    approval = (
        ReviewEvent.objects.filter(version=version, action=ReviewEvent.Action.APPROVED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return ApprovalRecord(
        author=version.author,
        submitted_at=version.submitted_at,
        approved_by=approval.actor if approval else version.approved_by,
        approved_at=approval.at if approval else version.approved_at,
        # Without an approval event, the hash fixed on the version when it was submitted
        # (a submitted version is immutable).
        approved_hash=(approval.content_hash if approval else "") or version.content_hash,
        entry_hash=entry.content_hash,
        current_hash=version.compute_content_hash(),
        hash_from_approval=bool(approval and approval.content_hash),
    )


def seal_list() -> QuerySet[Seal]:
    return Seal.objects.defer("leaves").order_by("-sequence")


SEAL_HASH_RULE = (
    "seal_hash = sha256(UTF-8 of 'sequence|first_entry_id|last_entry_id|entry_count|"
    "merkle_root|previous_seal_hash|created_at'); each seal's previous_seal_hash is the "
    "seal_hash of the seal before it (64 zeros for the first)."
)


def seals_public() -> dict[str, Any]:
    """Every seal's public fields, oldest first, and the rule that checks them."""
    seals = Seal.objects.defer("leaves").order_by("sequence")
    return {
        "rule": SEAL_HASH_RULE,
        "seals": [
            {
                "sequence": seal.sequence,
                "first_entry_id": seal.first_entry_id,
                "last_entry_id": seal.last_entry_id,
                "entry_count": seal.entry_count,
                "merkle_root": seal.merkle_root,
                "previous_seal_hash": seal.previous_seal_hash,
                "seal_hash": seal.seal_hash,
                "created_at": seal.created_at.isoformat(),
            }
            for seal in seals.iterator(chunk_size=1000)
        ],
    }
