"""Writes for shared content: blocks and brand themes, reviewed like communications.

draft -> in_review -> approved -> published -> retired; a rejection sends the version back to
draft with the approver's comment; the author never approves their own version, and
approval is bound to the content hash recorded at submission. Every step is a
``SharedContentEvent``. The steps are ``templates_store.review``'s, as for communication
versions; ``SHARED_REVIEW`` names what blocks and themes do differently. Publishing a
block or theme version changes nothing already submitted: communication versions pin the
exact versions they use when they are submitted (``version_pin_shared_content``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ccm.vocabulary import Channel
from rendering.environment import render_field
from rendering.exceptions import RenderError
from templates_store import review
from templates_store.models import (
    Block,
    BlockContent,
    BlockVersion,
    Brand,
    SharedContentEvent,
    SharedVersion,
    TemplateVersion,
    ThemeVersion,
)
from templates_store.shared_lint import block_keys_used
from templates_store.shared_selectors import (
    block_versions_published,
    theme_of,
    theme_version_published,
)

Status = TemplateVersion.Status
Action = SharedContentEvent.Action
V = TypeVar("V", bound=SharedVersion)

LOGO_MAX_BYTES = 256 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _event(
    version: SharedVersion, *, actor: User, action: str, comment: str = "", content_hash: str = ""
) -> None:
    subject: dict[str, Any] = (
        {"block_version": version}
        if isinstance(version, BlockVersion)
        else {"theme_version": version}
    )
    SharedContentEvent.objects.create(
        actor=actor,
        action=action,
        comment=comment,
        content_hash=content_hash,
        **subject,
    )


# BLOCKS -------------------------------------------------------------------------------


def block_create(
    *, brand: Brand, key: str, name: str, kind: str, author: User, description: str = ""
) -> Block:
    """Create a block with an empty draft version 1. Raises ValidationError naming the field
    (a key already used by the brand, for example)."""
    block = Block(brand=brand, key=key, name=name, kind=kind, description=description)
    block.full_clean()
    with transaction.atomic():
        block.save()
        block_version_create(block=block, author=author)
    return block


@transaction.atomic
def block_version_create(*, block: Block, author: User) -> BlockVersion:
    """A new draft of ``block``, copied from its latest version (if any)."""
    latest = block.versions.order_by("-number").first()
    number = (block.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = BlockVersion.objects.create(block=block, number=number, author=author)
    if latest is not None:
        BlockContent.objects.bulk_create(
            BlockContent(version=version, channel=c.channel, locale=c.locale, body=c.body)
            for c in latest.contents.all()
        )
    _event(version, actor=author, action=Action.CREATED)
    return version


def block_content_save(
    *, version: BlockVersion, channel: str, locale: str, body: str
) -> BlockContent | None:
    """Set a draft's body for one channel and locale; an empty body removes it."""
    version.status = BlockVersion.objects.values_list("status", flat=True).get(pk=version.pk)
    review.require_status(version, Status.DRAFT)
    if not body.strip():
        BlockContent.objects.filter(version=version, channel=channel, locale=locale).delete()
        return None
    content, _created = BlockContent.objects.get_or_create(
        version=version, channel=channel, locale=locale
    )
    content.body = body
    content.full_clean()
    content.save()
    return content


def block_version_check(*, version: BlockVersion) -> list[str]:
    """Why the block version cannot go to review: no content, or content that does not
    render (syntax error, a name other than theme, brand and locale)."""
    contents = list(version.contents.all())
    if not contents:
        return [_("The block has no content in any channel.")]
    brand = version.block.brand
    theme = theme_of(version=theme_version_published(brand=brand), brand=brand)
    errors = []
    for content in contents:
        env_kind = "text" if content.channel == Channel.SMS else "html"
        try:
            render_field(
                env_kind,
                "body",
                content.body,
                {"theme": theme, "brand": brand, "locale": content.locale},
            )
        except RenderError as exc:
            errors.append(f"{content.channel}/{content.locale} {exc}")
    return errors


# THEMES -------------------------------------------------------------------------------


@transaction.atomic
def theme_version_create(*, brand: Brand, author: User) -> ThemeVersion:
    """A new draft theme for ``brand``, copied from its latest theme version, or from the
    brand's own colours and font for the first one."""
    latest = ThemeVersion.objects.filter(brand=brand).order_by("-number").first()
    number = (ThemeVersion.objects.filter(brand=brand).aggregate(n=Max("number"))["n"] or 0) + 1
    if latest is not None:
        fields = {name: getattr(latest, name) for name in ThemeVersion.CONTENT_FIELDS}
    else:
        fields = {
            "primary_color": brand.primary_color,
            "text_color": brand.text_color,
            "font_family": brand.font_family,
            "logo_alt": brand.name,
        }
    version = ThemeVersion.objects.create(brand=brand, number=number, author=author, **fields)
    _event(version, actor=author, action=Action.CREATED)
    return version


def logo_data_url(*, content: bytes) -> str:
    """A PNG or JPEG logo as a data: URL. Raises ValidationError (on ``logo_data``)."""
    if len(content) > LOGO_MAX_BYTES:
        raise ValidationError(
            {"logo_data": _("The logo is larger than %(kb)s KB.") % {"kb": LOGO_MAX_BYTES // 1024}}
        )
    kind = next((t for magic, t in LOGO_TYPES.items() if content.startswith(magic)), None)
    if kind is None:
        raise ValidationError({"logo_data": _("The logo must be a PNG or JPEG image.")})
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


def _check_logo_data(value: str) -> None:
    if not value:
        return
    prefix, _sep, encoded = value.partition(";base64,")
    if prefix not in {f"data:{t}" for t in LOGO_TYPES.values()}:
        raise ValidationError({"logo_data": _("The logo must be a PNG or JPEG image.")})
    try:
        logo_data_url(content=base64.b64decode(encoded, validate=True))
    except binascii.Error as exc:
        raise ValidationError({"logo_data": _("The logo is not valid base64.")}) from exc


def theme_version_save(*, version: ThemeVersion, **fields: Any) -> ThemeVersion:
    """Change a draft theme's colours, fonts or logo. Raises ValidationError naming the field."""
    version.status = ThemeVersion.objects.values_list("status", flat=True).get(pk=version.pk)
    review.require_status(version, Status.DRAFT)
    unknown = set(fields) - set(ThemeVersion.CONTENT_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in sorted(unknown)}
        )
    if "logo_data" in fields:
        _check_logo_data(fields["logo_data"])
    for name, value in fields.items():
        setattr(version, name, value)
    version.full_clean()
    version.save()
    return version


# REVIEW (BLOCKS AND THEMES) -------------------------------------------------------------


def _check(version: SharedVersion) -> list[str]:
    # A theme has no template content to check; its fields are validated when saved.
    return block_version_check(version=version) if isinstance(version, BlockVersion) else []


def _siblings(version: SharedVersion) -> QuerySet[Any]:
    if isinstance(version, BlockVersion):
        return BlockVersion.objects.filter(block_id=version.block_id)
    if isinstance(version, ThemeVersion):
        return ThemeVersion.objects.filter(brand_id=version.brand_id)
    raise TypeError(f"not shared content: {version!r}")


SHARED_REVIEW = review.Workflow[SharedVersion](
    record=_event,
    check=_check,
    pin=review.no_fields,
    siblings=_siblings,
    on_publish=review.no_fields,
    retired_event_has_hash=True,
)


def shared_version_submit(*, version: V, actor: User) -> V:
    """Freeze a draft block or theme version for review. Raises ValidationError."""
    return review.submit(SHARED_REVIEW, version=version, actor=actor)


def shared_version_approve(*, version: V, actor: User, comment: str = "") -> V:
    """Approve a version in review: never by its author, and only while the content still
    matches the hash recorded at submission. Raises PermissionDenied, ValidationError."""
    return review.approve(SHARED_REVIEW, version=version, actor=actor, comment=comment)


def shared_version_reject(*, version: V, actor: User, comment: str) -> V:
    """Send a version in review back to draft with the reviewer's reasons."""
    return review.reject(SHARED_REVIEW, version=version, actor=actor, comment=comment)


@transaction.atomic
def shared_version_publish(*, version: V, actor: User, comment: str = "") -> V:
    """Publish an approved (or retired: a roll back) version; the published one of the same
    block or brand is retired. Communication versions already submitted keep the versions
    they pinned; drafts and the next submissions use this one."""
    version = review.lock_publishable(version)
    return review.publish_now(
        SHARED_REVIEW, version=version, actor=actor, at=timezone.now(), comment=comment.strip()
    )


# PINNING ------------------------------------------------------------------------------


def version_pin_shared_content(*, version: TemplateVersion) -> TemplateVersion:
    """Record on a communication version (being submitted) the exact block versions its
    content inserts and the brand's theme version: the brand's published ones now. Sending,
    re-rendering and the archive use these from then on. Raises ValidationError naming a
    block that has no published version. The caller saves ``block_pins`` and ``theme_pin``
    (and computes the content hash after, so that it covers them)."""
    brand = version.communication.brand
    used = block_keys_used(version=version)
    published = {v.block.key: v for v in block_versions_published(brand=brand)}
    missing = sorted(used - set(published))
    if missing:
        raise ValidationError(
            _("No published block with the key %(keys)s.") % {"keys": ", ".join(missing)}
        )
    version.block_pins = {
        key: {
            "id": published[key].pk,
            "number": published[key].number,
            "content_hash": published[key].content_hash,
        }
        for key in sorted(used)
    }
    theme = theme_version_published(brand=brand)
    version.theme_pin = (
        {"id": theme.pk, "number": theme.number, "content_hash": theme.content_hash}
        if theme is not None
        else {}
    )
    return version
