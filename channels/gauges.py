"""The messages gauge of ``/metrics``, read from the database at each scrape (registered
with ccm.metrics in ChannelsConfig.ready())."""

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccm.vocabulary import Channel, MessageStatus
from channels.models import Message


class MessageGauges(Collector):
    """``ccm_messages``: messages by state and channel."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "ccm_messages", "Messages by state and channel.", labels=["state", "channel"]
        )
        counts = {
            (row["status"], row["channel"]): row["n"]
            for row in Message.objects.order_by()
            .values("status", "channel")
            .annotate(n=Count("id"))
        }
        # Every combination, zeros included, so that rates and alerts see a series start.
        for state in MessageStatus.values:
            for channel in Channel.values:
                family.add_metric([state, channel], counts.get((state, channel), 0))
        yield family
