import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ccm.vocabulary import Channel
from templates_store.models import Communication, ReviewEvent, TemplateVariant, TemplateVersion


def communication_list() -> QuerySet[Communication]:
    return Communication.objects.select_related("brand").prefetch_related("versions")


def version_published(
    *, communication: Communication, at: dt.datetime | None = None
) -> TemplateVersion | None:
    """The version in effect at ``at`` (now): a scheduled version whose effective time has
    come counts as published even before the beat task has recorded the step."""
    versions = (
        TemplateVersion.objects.select_related("communication__brand")
        .prefetch_related("variants")
        .filter(communication=communication)
    )
    due = (
        versions.filter(
            status__in=[TemplateVersion.Status.APPROVED, TemplateVersion.Status.RETIRED],
            publish_at__lte=at or timezone.now(),
        )
        .order_by("-publish_at", "-pk")
        .first()
    )
    return due or versions.filter(status=TemplateVersion.Status.PUBLISHED).first()


def version_scheduled(*, communication: Communication) -> QuerySet[TemplateVersion]:
    """Versions waiting for their effective publishing time, soonest first."""
    return TemplateVersion.objects.filter(
        communication=communication,
        status__in=[TemplateVersion.Status.APPROVED, TemplateVersion.Status.RETIRED],
        publish_at__isnull=False,
    ).order_by("publish_at", "pk")


def version_list_for_review() -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.select_related("communication", "author").filter(
        status__in=[TemplateVersion.Status.IN_REVIEW, TemplateVersion.Status.APPROVED]
    )


def version_with_content(*, pk: int) -> TemplateVersion:
    return (
        TemplateVersion.objects.select_related("communication__brand", "author", "approved_by")
        .prefetch_related("variants", "events__actor")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class CatalogueRow:
    communication: Communication
    # (value, label) of the channels and the locale codes the latest version covers.
    channels: tuple[tuple[str, str], ...]
    locales: tuple[str, ...]
    latest_number: int | None
    latest_status: str
    published_number: int | None
    last_change: dt.datetime


def communication_catalogue(
    *,
    search: str = "",
    category: str = "",
    channel: str = "",
    purpose: str = "",
    owner_team: str = "",
    locale: str = "",
) -> list[CatalogueRow]:
    """The communication catalogue: what each communication covers (from its latest
    version), which version is published, and when it last changed.

    ``search`` matches key, name, description or owner team; ``channel`` and ``locale``
    keep communications whose latest version has content for that channel or locale.
    """
    versions = TemplateVersion.objects.filter(communication=OuterRef("pk")).order_by("-number")
    published = versions.filter(status=TemplateVersion.Status.PUBLISHED)
    last_event = ReviewEvent.objects.filter(version__communication=OuterRef("pk")).order_by("-at")
    queryset = Communication.objects.select_related("brand").annotate(
        latest_version_id=Subquery(versions.values("pk")[:1]),
        latest_number=Subquery(versions.values("number")[:1]),
        latest_status=Subquery(versions.values("status")[:1]),
        published_number=Subquery(published.values("number")[:1]),
        last_change=Greatest(
            "updated_at", Coalesce(Subquery(last_event.values("at")[:1]), "updated_at")
        ),
    )
    if search.strip():
        term = search.strip()
        queryset = queryset.filter(
            Q(key__icontains=term)
            | Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(owner_team__icontains=term)
        )
    if category:
        queryset = queryset.filter(category=category)
    if purpose:
        queryset = queryset.filter(purpose=purpose)
    if owner_team:
        queryset = queryset.filter(owner_team=owner_team)
    if channel or locale:
        variants = TemplateVariant.objects.filter(version_id=OuterRef("latest_version_id"))
        if channel:
            variants = variants.filter(channel=channel)
        if locale:
            variants = variants.filter(locale=locale)
        queryset = queryset.filter(Exists(variants))
    communications = list(queryset)
    covered: dict[int, list[tuple[str, str]]] = {}
    for version_id, variant_channel, variant_locale in TemplateVariant.objects.filter(
        version_id__in=[c.latest_version_id for c in communications if c.latest_version_id]
    ).values_list("version_id", "channel", "locale"):
        covered.setdefault(version_id, []).append((variant_channel, variant_locale))
    rows = []
    for communication in communications:
        pairs = covered.get(communication.latest_version_id, [])
        channel_values = {c for c, _ in pairs}
        rows.append(
            CatalogueRow(
                communication=communication,
                channels=tuple(
                    (c.value, str(c.label)) for c in Channel if c.value in channel_values
                ),
                locales=tuple(sorted({locale for _, locale in pairs})),
                latest_number=communication.latest_number,
                latest_status=communication.latest_status or "",
                published_number=communication.published_number,
                last_change=communication.last_change,
            )
        )
    return rows


def communication_get(*, pk: int) -> Communication:
    return Communication.objects.select_related("brand").get(pk=pk)


def version_list_for_communication(*, communication: Communication) -> QuerySet[TemplateVersion]:
    return (
        TemplateVersion.objects.select_related("author", "approved_by")
        .filter(communication=communication)
        .order_by("-number")
    )


def version_compare_base(*, version: TemplateVersion) -> TemplateVersion | None:
    """What an approver compares ``version`` with: the communication's published version
    (another one than ``version`` itself), or None when nothing is published."""
    return (
        TemplateVersion.objects.select_related("communication__brand")
        .prefetch_related("variants")
        .filter(communication_id=version.communication_id, status=TemplateVersion.Status.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )


def variants_by_key(*, version: TemplateVersion) -> dict[tuple[str, str], TemplateVariant]:
    """The variants of ``version`` keyed by (channel, locale)."""
    return {(v.channel, v.locale): v for v in version.variants.all()}
