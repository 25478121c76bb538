from django.apps import AppConfig


class DemoConfig(AppConfig):
    # The top layer: demo data written through every app's models and services
    # (``manage.py load_demo``, ``manage.py demo_info``).
    name = "demo"
    verbose_name = "Demo data"
