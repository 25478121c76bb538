from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    # The PyPI package "channels" (Django Channels) is never installed; the label is
    # explicit so that the app keeps its name in migrations and permissions.
    name = "channels"
    label = "channels"
    verbose_name = "Channels and dispatch"

    def ready(self) -> None:
        # receivers connects the receivers of the archive's signals; webhooks.anymail the
        # receiver of django-anymail's tracking signal (ESP delivery events).
        from channels import receivers  # noqa: F401
        from channels.webhooks import anymail  # noqa: F401
