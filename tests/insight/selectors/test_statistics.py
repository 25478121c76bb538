"""Message statistics: counts and rates per channel, fallbacks, print, costs, versions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.models import DeliveryEvent, Message
from insight.selectors.counts import Scope
from insight.selectors.statistics import (
    figures_channels,
    figures_costs,
    figures_daily,
    figures_fallbacks,
    figures_matrix,
    figures_print,
    figures_versions,
)

pytestmark = pytest.mark.django_db


def _row(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_channel_counts_and_rates_of_a_communication(data):
    rows = figures_channels(scope=Scope(communication_id=data.bills.pk))
    email = _row(rows, channel="email")
    assert (email["total"], email["sent"], email["delivered"], email["bounced"]) == (7, 6, 5, 1)
    assert (email["opened"], email["clicked"], email["suppressed"], email["failed"]) == (4, 3, 1, 1)
    assert email["open_rate"] == Decimal("66.7")  # 4 of 6 sent
    assert email["click_rate"] == Decimal("50.0")  # 3 of 6
    sms = _row(rows, channel="sms")
    assert (sms["sent"], sms["delivered"], sms["delivery_rate"]) == (2, 1, Decimal("50.0"))
    assert sms["open_rate"] is None  # not tracked on SMS
    letters = _row(rows, channel="print")
    assert (letters["sent"], letters["fallbacks"], letters["delivery_rate"]) == (2, 1, None)
    everything = _row(rows, channel="all")
    assert everything["sent"] == 10
    assert everything["delivery_rate"] == Decimal("75.0")  # (5 + 1) of (6 + 2)
    assert everything["bounce_rate"] == Decimal("12.5")  # 1 of 8
    assert everything["open_rate"] == Decimal("66.7")  # emails only


def test_batch_scope_counts_only_its_messages(data):
    rows = figures_channels(scope=Scope(batch_id=data.batch2.pk))
    assert [r["channel"] for r in rows] == ["email", "all"]
    email = rows[0]
    assert (email["total"], email["sent"], email["open_rate"], email["click_rate"]) == (
        3,
        2,
        Decimal("100.0"),
        Decimal("100.0"),
    )


def test_fallbacks_print_and_costs(data, settings):
    scope = Scope(communication_id=data.bills.pk)
    assert figures_fallbacks(scope=scope) == [
        {"from_channel": "email", "to_channel": "print", "messages": 1}
    ]
    settings.CCM_PRINT_DUPLEX = True
    printing = figures_print(scope=scope)
    assert (printing["letters"], printing["pages"], printing["print_files"]) == (2, 5, 1)
    assert printing["sheets"] == 3  # 3 pages on 2 sheets + 2 pages on 1 sheet, both sides
    settings.CCM_PRINT_DUPLEX = False
    assert figures_print(scope=scope)["sheets"] == 5
    # What print production recorded wins (a letter with blank back pages, an insert).
    DeliveryEvent.objects.filter(message=data.messages["p1"], kind="printed").update(
        detail={"print_file": 1, "pages": 3, "sheets": 4}
    )
    assert figures_print(scope=scope)["sheets"] == 6
    DeliveryEvent.objects.filter(message=data.messages["p1"], kind="printed").update(
        detail={"print_file": 1, "pages": 3}
    )
    settings.CCM_PRINT_DUPLEX = True
    settings.CCM_INSIGHT_PRICES = {
        "email": "0.01",
        "sms_segment": "0.05",
        "print_sheet": "0.10",
        "postage": "1.00",
    }
    costs = {r["unit"]: r for r in figures_costs(scope=scope)}
    assert costs["email"]["units"] == 6 and costs["email"]["cost"] == Decimal("0.06")
    # No archived SMS text in the seed: each sent SMS counts as one segment.
    assert costs["sms_segment"]["units"] == 2 and costs["sms_segment"]["cost"] == Decimal("0.10")
    assert costs["print_sheet"]["cost"] == Decimal("0.30")
    assert costs["postage"]["cost"] == Decimal("2.00")
    assert costs[""]["cost"] == Decimal("2.46")


def test_versions_side_by_side(data):
    rows = figures_versions(scope=Scope(communication_id=data.bills.pk))
    v1, v2 = rows
    assert (v1["version"], v1["sent"], v1["open_rate"], v1["click_rate"]) == (
        1,
        8,
        Decimal("50.0"),
        Decimal("25.0"),
    )
    assert v1["delivery_rate"] == Decimal("66.7")  # (3 + 1) of (4 + 2)
    assert (v2["version"], v2["sent"], v2["open_rate"], v2["click_rate"]) == (
        2,
        2,
        Decimal("100.0"),
        Decimal("100.0"),
    )
    assert v1["average_score"] == Decimal("7.25")  # (10 + 9 + 7 + 3) / 4
    assert v2["average_score"] == Decimal("5.00")  # (0 + 10) / 2


def test_channel_by_topic_matrix(data):
    rows = figures_matrix(scope=Scope())
    email = _row(rows, purpose="request_payment", channel="email")
    # Responded: clicked or answered the survey (e1, e2, e3, e5, e6) of 6 sent.
    assert (email["sent"], email["responded"], email["response_rate"]) == (6, 5, Decimal("83.3"))
    sms = _row(rows, purpose="request_payment", channel="sms")
    assert (sms["sent"], sms["responded"], sms["response_rate"]) == (2, 1, Decimal("50.0"))
    news = _row(rows, purpose="notify", channel="email")
    assert (news["sent"], news["responded"]) == (4, 4)


def test_daily_buckets_and_date_range(data):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    moved = Message.objects.filter(pk__in=[data.messages["e1"].pk, data.messages["s1"].pk])
    moved.update(created_at=timezone.now() - dt.timedelta(days=1))
    daily = figures_daily(scope=Scope(communication_id=data.bills.pk))
    assert _row(daily, day=yesterday, channel="email", status="delivered")["messages"] == 1
    assert (
        _row(daily, day=timezone.localdate(), channel="email", status="delivered")["messages"] == 4
    )
    only_yesterday = Scope(start=yesterday, end=yesterday)
    assert _row(figures_channels(scope=only_yesterday), channel="all")["total"] == 2


def test_sms_segments_are_estimated_from_the_archived_text(data, settings):
    from compliance.models import ArchiveEntry

    settings.CCM_INSIGHT_PRICES = {**settings.CCM_INSIGHT_PRICES, "sms_segment": "0.10"}
    texts = {"s1": ("en", "a" * 200), "s2": ("ja", "あ" * 100)}  # 2 (153 each), 2 (67 each)
    for name, (locale, text) in texts.items():
        message = data.messages[name]
        ArchiveEntry.objects.create(
            message=message,
            communication=data.bills,
            version=message.version,
            content_hash="0" * 64,
            channel="sms",
            locale=locale,
            recipient=message.recipient,
            subject=text,
            artifact_name=f"{name}.txt",
            artifact_sha256="0" * 64,
            artifact_size=len(text.encode()),
            content_type="text/plain",
        )
    costs = {r["unit"]: r for r in figures_costs(scope=Scope(batch_id=data.batch1.pk))}
    assert costs["sms_segment"]["units"] == 4
    assert costs["sms_segment"]["cost"] == Decimal("0.40")
