"""The coverage matrix: every communication by channel and locale, and for each cell whether
content exists, is published, is missing, or is out of date (the newest draft, in review
or approved version changes what is published). Reads only."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from ccm.vocabulary import Channel
from templates_store.models import Communication, TemplateVariant, TemplateVersion

Status = TemplateVersion.Status
# Versions that may still become the published one (retired ones only by a roll back).
PENDING_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)


class CellState(TextChoices):
    PUBLISHED = "published", _("Published")
    OUTDATED = "outdated", _("Out of date")
    UNPUBLISHED = "unpublished", _("Not published yet")
    MISSING = "missing", _("Missing")


@dataclass(frozen=True)
class MatrixCell:
    """One channel in one locale. ``published_number`` is set when the published version
    has this content; ``pending_number``/``pending_status`` when a newer version has it;
    ``version_id`` is the version to open (the newer one, else the published one)."""

    channel: str
    locale: str
    state: str
    published_number: int | None = None
    pending_number: int | None = None
    pending_status: str = ""
    version_id: int | None = None

    @property
    def state_label(self) -> str:
        return str(CellState(self.state).label)


@dataclass(frozen=True)
class MatrixRow:
    communication: Communication
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class Matrix:
    # (channel value, channel label, locale) of each column, in order.
    columns: tuple[tuple[str, str, str], ...]
    rows: tuple[MatrixRow, ...]


_Content = tuple[str, str, str]


def _cell(
    channel: str,
    locale: str,
    published: TemplateVersion | None,
    pending: TemplateVersion | None,
    contents: dict[tuple[int, str, str], _Content],
) -> MatrixCell:
    live = contents.get((published.pk, channel, locale)) if published else None
    new = contents.get((pending.pk, channel, locale)) if pending else None
    if live is not None:
        state = CellState.OUTDATED if pending is not None and new != live else CellState.PUBLISHED
    else:
        state = CellState.UNPUBLISHED if new is not None else CellState.MISSING
    # The version to open: the newer one when it concerns this cell, else the published one.
    shown = pending if pending is not None and (new is not None or live is not None) else None
    if shown is None and live is not None:
        shown = published
    return MatrixCell(
        channel=channel,
        locale=locale,
        state=state,
        published_number=published.number if published and live is not None else None,
        pending_number=pending.number if pending and shown is pending else None,
        pending_status=pending.status if pending and shown is pending else "",
        version_id=shown.pk if shown else None,
    )


def communication_matrix(
    *,
    search: str = "",
    category: str = "",
    owner_team: str = "",
    channel: str = "",
    locale: str = "",
    state: str = "",
) -> Matrix:
    """The matrix of the communications matching ``search`` (key or name), ``category``
    and ``owner_team``; ``channel`` and ``locale`` keep those columns only; ``state`` keeps
    the communications with at least one shown cell in that state.

    A cell is out of date when a version newer than the published one (draft, in review
    or approved) has different content for it, or none.
    """
    communications = Communication.objects.select_related("brand").order_by("name", "pk")
    if search.strip():
        term = search.strip()
        communications = communications.filter(Q(key__icontains=term) | Q(name__icontains=term))
    if category:
        communications = communications.filter(category=category)
    if owner_team:
        communications = communications.filter(owner_team=owner_team)
    by_pk = {c.pk: c for c in communications}

    published: dict[int, TemplateVersion] = {}
    newest: dict[int, TemplateVersion] = {}
    for version in TemplateVersion.objects.filter(
        communication_id__in=by_pk, status__in=[Status.PUBLISHED, *PENDING_STATUSES]
    ).only("pk", "communication_id", "number", "status"):
        if version.status == Status.PUBLISHED:
            published[version.communication_id] = version
        elif (
            version.communication_id not in newest
            or version.number > newest[version.communication_id].number
        ):
            newest[version.communication_id] = version
    pending = {
        pk: version
        for pk, version in newest.items()
        if pk not in published or version.number > published[pk].number
    }
    wanted = [v.pk for v in published.values()] + [v.pk for v in pending.values()]
    contents: dict[tuple[int, str, str], _Content] = {
        (version_id, variant_channel, variant_locale): (subject, body_html, body_text)
        for version_id, variant_channel, variant_locale, subject, body_html, body_text in (
            TemplateVariant.objects.filter(version_id__in=wanted).values_list(
                "version_id", "channel", "locale", "subject", "body_html", "body_text"
            )
        )
    }

    columns = tuple(
        (value, str(label), code)
        for value, label in Channel.choices
        if not channel or value == channel
        for code, _name in settings.LANGUAGES
        if not locale or code == locale
    )
    rows = []
    for pk, communication in by_pk.items():
        cells = tuple(
            _cell(value, code, published.get(pk), pending.get(pk), contents)
            for value, _label, code in columns
        )
        if state and not any(c.state == state for c in cells):
            continue
        rows.append(MatrixRow(communication=communication, cells=cells))
    return Matrix(columns=columns, rows=tuple(rows))


def owner_teams() -> list[str]:
    """The owner teams communications name, for filters."""
    return list(
        Communication.objects.exclude(owner_team="")
        .order_by("owner_team")
        .values_list("owner_team", flat=True)
        .distinct()
    )
