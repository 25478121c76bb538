"""When a message may go: scheduled sends, quiet hours in the recipient's time zone,
frequency caps for marketing. Times live in the database (``Message.not_before``),
swept by Celery beat, never in long Celery countdowns."""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from channels.models import Message
from templates_store.models import Communication


def _clock(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(*, channel: str, tz_name: str, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours the recipient is in at ``now``, or None when a message
    of ``channel`` may go now."""
    conf = settings.CCM_QUIET_HOURS
    if channel not in conf["channels"]:
        return None
    start, end = _clock(str(conf["start"])), _clock(str(conf["end"]))
    if start == end:
        return None
    local = now.astimezone(zone(tz_name))
    at = local.time()
    overnight = start > end
    inside = (at >= start or at < end) if overnight else (start <= at < end)
    if not inside:
        return None
    day = local.date() + dt.timedelta(days=1) if overnight and at >= start else local.date()
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo).astimezone(dt.UTC)


def marketing_counts(
    *, customer_ids: Iterable[int], now: dt.datetime | None = None
) -> dict[int, int]:
    """Marketing messages per customer within the cap window (not counting the ones
    suppressed, cancelled or failed)."""
    since = (now or timezone.now()) - dt.timedelta(days=settings.CCM_MARKETING_CAP_DAYS)
    rows = (
        Message.objects.filter(
            customer_id__in=list(customer_ids),
            created_at__gte=since,
            version__communication__category=Communication.Category.MARKETING,
        )
        .exclude(
            status__in=[Message.Status.SUPPRESSED, Message.Status.CANCELLED, Message.Status.FAILED]
        )
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    return {row["customer_id"]: row["n"] for row in rows}
