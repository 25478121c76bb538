"""The demo's shared content: the brand theme and the header, footer and legal blocks,
written by the designer and approved and published by the approver through the services."""

from django.contrib.auth.models import User

from demo import content
from templates_store.models import Brand
from templates_store.shared_services import (
    block_content_save,
    block_create,
    shared_version_approve,
    shared_version_publish,
    shared_version_submit,
    theme_version_create,
    theme_version_save,
)


def demo_shared_content_load(*, brand: Brand, designer: User, approver: User) -> None:
    """Publish the demo theme (version 1) and blocks (version 1 each) for ``brand``."""
    theme = theme_version_create(brand=brand, author=designer)
    theme_version_save(version=theme, **content.THEME)
    shared_version_submit(version=theme, actor=designer)
    shared_version_approve(version=theme, actor=approver, comment="Matches the brand guide.")
    shared_version_publish(version=theme, actor=approver)
    for key, (name, kind, bodies) in content.BLOCKS.items():
        block = block_create(brand=brand, key=key, name=name, kind=kind, author=designer)
        version = block.versions.get()
        for (channel, locale), body in bodies.items():
            block_content_save(version=version, channel=channel, locale=locale, body=body)
        shared_version_submit(version=version, actor=designer)
        shared_version_approve(version=version, actor=approver, comment="Wording checked.")
        shared_version_publish(version=version, actor=approver)
