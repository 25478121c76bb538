from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CcmConfig(AppConfig):
    name = "ccm"
    verbose_name = "CCM platform"

    def ready(self) -> None:
        from celery.signals import worker_ready

        # log_context binds task ids to log records.
        from ccm import log_context  # noqa: F401
        from ccm.metrics import worker_metrics_serve
        from ccm.outbound import allowed_networks
        from ccm.roles import roles_sync_after_migrate

        # A CCM_OUTBOUND_ALLOWED_NETWORKS entry that is not a network stops start-up.
        allowed_networks()
        # Groups and their permissions are kept in code; every migrate brings them in line.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="ccm.roles_sync")
        worker_ready.connect(worker_metrics_serve, dispatch_uid="ccm.worker_metrics")
