from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Insight"

    def ready(self) -> None:
        # Survey links and QR codes become functions every template may call.
        from insight import surveys
        from rendering.environment import TEMPLATE_FUNCTIONS

        TEMPLATE_FUNCTIONS.update(surveys.TEMPLATE_FUNCTIONS)
