from django.apps import AppConfig


class TemplatesStoreConfig(AppConfig):
    name = "templates_store"
    verbose_name = "Communications"

    def ready(self) -> None:
        # Rendering finds shared blocks and themes through the studio.
        from rendering.blocks import shared_content_lookup_set
        from templates_store.shared_selectors import StudioSharedContent

        shared_content_lookup_set(StudioSharedContent())
