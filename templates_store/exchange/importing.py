"""Importing: the parsed files written as a new draft version (a published version is
never changed). A block unknown to the brand is created, a block whose text differs gets
a new draft block version; both need review before the communication can be submitted."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from templates_store import services, shared_services
from templates_store.exchange.layout import (
    BLOCKS_DIR,
    METADATA_JSON,
    METADATA_YAML,
    CommunicationFilesError,
    FileProblem,
)
from templates_store.exchange.parsing import ParsedCommunication, communication_files_parse
from templates_store.models import (
    Block,
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)


def _brand_for(parsed: ParsedCommunication, file: str) -> Brand:
    existing = Brand.objects.filter(name=parsed.brand["name"]).first()
    if existing is not None:
        return existing
    brand = Brand(**parsed.brand)
    try:
        brand.full_clean()
    except ValidationError as exc:
        raise CommunicationFilesError(
            [
                FileProblem(file, f"brand.{key}", message)
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from exc
    brand.save()
    return brand


@transaction.atomic
def communication_import(*, files: Mapping[str, bytes], actor: User) -> TemplateVersion:
    """Create or update the communication the files describe and give it a new draft
    version with the files' sample data and variants (a published version is never
    changed). A brand unknown here is created from the file; a known one is used as it is.
    Raises CommunicationFilesError naming the file and field of every problem, and
    PermissionDenied when ``actor`` may not create drafts or create/change this
    communication."""
    parsed = communication_files_parse(files)
    exists = Communication.objects.filter(key=parsed.metadata["key"]).exists()
    needed = [
        "templates_store.add_templateversion",
        "templates_store.change_communication" if exists else "templates_store.add_communication",
    ]
    if not actor.has_perms(needed):
        raise PermissionDenied(
            _("Importing needs the permissions: %(perms)s.") % {"perms": ", ".join(needed)}
        )
    metadata_file = METADATA_YAML if METADATA_YAML in files else METADATA_JSON
    brand = _brand_for(parsed, metadata_file)
    fields = {k: v for k, v in parsed.metadata.items() if k != "key"}
    communication = (
        Communication.objects.select_for_update().filter(key=parsed.metadata["key"]).first()
    )
    try:
        if communication is None:
            communication = services.communication_create(
                key=parsed.metadata["key"],
                author=actor,
                brand=brand,
                data_schema=parsed.data_schema,
                **fields,
            )
            version = communication.versions.get()
        else:
            services.communication_update(
                communication=communication, brand=brand, data_schema=parsed.data_schema, **fields
            )
            version = services.version_create(communication=communication, author=actor)
            version.variants.all().delete()
    except ValidationError as exc:
        raise CommunicationFilesError(
            [
                FileProblem(metadata_file, key, message)
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from exc
    version.sample_data = parsed.sample_data
    version.save(update_fields=["sample_data"])
    TemplateVariant.objects.bulk_create(
        TemplateVariant(version=version, channel=channel, locale=locale, **content)
        for (channel, locale), content in sorted(parsed.variants.items())
    )
    _import_blocks(parsed, brand=brand, actor=actor)
    ReviewEvent.objects.create(version=version, actor=actor, action=ReviewEvent.Action.IMPORTED)
    return version


def _import_blocks(parsed: ParsedCommunication, *, brand: Brand, actor: User) -> None:
    """A block the brand lacks is created (draft version 1); one whose current text (the
    published version, else the latest) differs gets a new draft version with the files'
    text. The block's name and kind stay as they are here."""
    for key, (metadata, bodies) in sorted(parsed.blocks.items()):
        block = Block.objects.filter(brand=brand, key=key).first()
        try:
            if block is None:
                block = shared_services.block_create(
                    brand=brand,
                    key=key,
                    name=metadata["name"],
                    kind=metadata.get("kind", Block.Kind.OTHER),
                    description=metadata.get("description", ""),
                    author=actor,
                )
                draft = block.versions.get()
            else:
                current = (
                    block.versions.filter(status=TemplateVersion.Status.PUBLISHED).first()
                    or block.versions.order_by("-number").first()
                )
                existing = (
                    {(c.channel, c.locale): c.body for c in current.contents.all()}
                    if current
                    else {}
                )
                if existing == bodies:
                    continue
                draft = shared_services.block_version_create(block=block, author=actor)
            for channel, locale in {(c.channel, c.locale) for c in draft.contents.all()} - set(
                bodies
            ):
                shared_services.block_content_save(
                    version=draft, channel=channel, locale=locale, body=""
                )
            for (channel, locale), body in sorted(bodies.items()):
                shared_services.block_content_save(
                    version=draft, channel=channel, locale=locale, body=body
                )
        except ValidationError as exc:
            raise CommunicationFilesError(
                [FileProblem(f"{BLOCKS_DIR}/{key}.yaml", "", m) for m in exc.messages]
            ) from exc
