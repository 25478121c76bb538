"""The archive's gauges of ``/metrics``, read from the database at each scrape (registered
with ccm.metrics in ComplianceConfig.ready())."""

from collections.abc import Iterator

from django.db.models import Max, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from compliance.models import ArchiveEntry, Seal


class ArchiveGauges(Collector):
    """``ccm_archive_seal_lag_seconds`` and ``ccm_archive_unsealed_entries``."""

    def collect(self) -> Iterator[Metric]:
        sealed_up_to = Seal.objects.aggregate(last=Max("last_entry_id"))["last"] or 0
        unsealed = ArchiveEntry.objects.filter(pk__gt=sealed_up_to).order_by()
        oldest = unsealed.aggregate(oldest=Min("created_at"))["oldest"]
        lag = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "ccm_archive_seal_lag_seconds",
            "Age of the oldest archive entry not yet sealed (0 when all are sealed).",
            value=max(lag, 0.0),
        )
        yield GaugeMetricFamily(
            "ccm_archive_unsealed_entries",
            "Archive entries not yet sealed.",
            value=unsealed.count(),
        )
