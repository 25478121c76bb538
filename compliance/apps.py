from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance archive"

    def ready(self) -> None:
        from ccm.metrics import scrape_collector_register
        from compliance.gauges import ArchiveGauges

        scrape_collector_register("compliance.archive", ArchiveGauges())
