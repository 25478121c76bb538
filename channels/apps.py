from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    # The PyPI package "channels" (Django Channels) is never installed; the label is
    # explicit so that the app keeps its name in migrations and permissions.
    name = "channels"
    label = "channels"
    verbose_name = "Channels and dispatch"

    def ready(self) -> None:
        # checks registers the deploy checks; receivers connects the receivers of the
        # archive's signals; webhooks.anymail the receiver of django-anymail's tracking
        # signal (ESP delivery events); tasks registers the Celery tasks in every process,
        # so that channels.enqueue (which sends by name) finds them, also when
        # CELERY_TASK_ALWAYS_EAGER runs them in the caller's process.
        from ccm.metrics import scrape_collector_register
        from channels import checks, receivers, tasks  # noqa: F401
        from channels.gauges import MessageGauges
        from channels.webhooks import anymail  # noqa: F401

        scrape_collector_register("channels.messages", MessageGauges())
