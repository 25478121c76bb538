from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CcmConfig(AppConfig):
    name = "ccm"
    verbose_name = "CCM platform"

    def ready(self) -> None:
        from ccm.roles import roles_sync_after_migrate

        # Groups and their permissions are kept in code; every migrate brings them in line.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="ccm.roles_sync")
