"""Writes for communications and their versions: the review lifecycle lives here.

draft -> in_review -> approved -> published -> retired; a rejection sends the version back
to draft with the approver's comment. Every step is recorded as a ReviewEvent.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from templates_store.lint import ERROR, version_lint
from templates_store.models import (
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)

Status = TemplateVersion.Status


def communication_create(
    *,
    key: str,
    name: str,
    category: str,
    brand: Brand,
    author: User,
    purpose: str = Communication.Purpose.NOTIFY,
    description: str = "",
    owner_team: str = "",
    data_schema: dict[str, Any] | None = None,
    sms_max_segments: int = 3,
    letter_max_pages: int = 4,
) -> Communication:
    """Create a communication with an empty draft version 1."""
    communication = Communication(
        sms_max_segments=sms_max_segments,
        letter_max_pages=letter_max_pages,
        key=key,
        name=name,
        category=category,
        brand=brand,
        purpose=purpose,
        description=description,
        owner_team=owner_team,
        data_schema=data_schema or {},
    )
    communication.full_clean()
    with transaction.atomic():
        communication.save()
        version_create(communication=communication, author=author)
    return communication


@transaction.atomic
def version_create(*, communication: Communication, author: User) -> TemplateVersion:
    """A new draft, copied from the latest version (if any)."""
    latest = communication.versions.order_by("-number").first()
    number = (communication.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = TemplateVersion.objects.create(
        communication=communication,
        number=number,
        author=author,
        sample_data=latest.sample_data if latest else {},
    )
    if latest is not None:
        TemplateVariant.objects.bulk_create(
            TemplateVariant(
                version=version,
                channel=v.channel,
                locale=v.locale,
                subject=v.subject,
                body_html=v.body_html,
                body_text=v.body_text,
            )
            for v in latest.variants.all()
        )
    ReviewEvent.objects.create(version=version, actor=author, action=ReviewEvent.Action.CREATED)
    return version


def _require_status(version: TemplateVersion, *allowed: str) -> None:
    if version.status not in allowed:
        names = ", ".join(str(Status(s).label) for s in allowed)
        raise ValidationError(
            _("Version %(number)s is %(status)s; this needs: %(allowed)s.")
            % {"number": version.number, "status": version.get_status_display(), "allowed": names}
        )


def variant_save(
    *,
    version: TemplateVersion,
    channel: str,
    locale: str,
    subject: str = "",
    body_html: str = "",
    body_text: str = "",
) -> TemplateVariant:
    """Create or replace one channel/locale content of a draft."""
    _require_status(version, Status.DRAFT)
    variant, _created = TemplateVariant.objects.get_or_create(
        version=version, channel=channel, locale=locale
    )
    variant.subject, variant.body_html, variant.body_text = subject, body_html, body_text
    variant.full_clean()
    variant.save()
    return variant


def variant_delete(*, version: TemplateVersion, channel: str, locale: str) -> None:
    _require_status(version, Status.DRAFT)
    TemplateVariant.objects.filter(version=version, channel=channel, locale=locale).delete()


def version_sample_data_save(*, version: TemplateVersion, sample_data: dict[str, Any]) -> None:
    _require_status(version, Status.DRAFT)
    version.sample_data = sample_data
    version.save(update_fields=["sample_data"])


def version_check(*, version: TemplateVersion) -> list[str]:
    """The lint errors that block submission (see templates_store.lint), as sentences."""
    return [str(issue) for issue in version_lint(version=version) if issue.level == ERROR]


@transaction.atomic
def version_submit(*, version: TemplateVersion, actor: User) -> TemplateVersion:
    """Freeze a draft for review: record its content hash. Raises ValidationError."""
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.DRAFT)
    errors = version_check(version=version)
    if errors:
        raise ValidationError(errors)
    version.content_hash = version.compute_content_hash()
    version.status = Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["content_hash", "status", "submitted_at"])
    ReviewEvent.objects.create(
        version=version,
        actor=actor,
        action=ReviewEvent.Action.SUBMITTED,
        content_hash=version.content_hash,
    )
    return version


def _check_reviewer(version: TemplateVersion, actor: User) -> None:
    if version.author_id == actor.pk:
        raise PermissionDenied(
            _("Nobody approves their own work: another approver must review this version.")
        )


@transaction.atomic
def version_approve(*, version: TemplateVersion, actor: User, comment: str = "") -> TemplateVersion:
    """Approve a version in review. The author can never approve; approval is bound to
    the content hash recorded at submission. Raises PermissionDenied, ValidationError."""
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.IN_REVIEW)
    _check_reviewer(version, actor)
    if version.compute_content_hash() != version.content_hash:
        raise ValidationError(_("The content changed after submission; it cannot be approved."))
    version.status = Status.APPROVED
    version.approved_by = actor  # type: ignore[assignment]
    version.approved_at = timezone.now()
    version.save(update_fields=["status", "approved_by", "approved_at"])
    ReviewEvent.objects.create(
        version=version,
        actor=actor,
        action=ReviewEvent.Action.APPROVED,
        comment=comment,
        content_hash=version.content_hash,
    )
    return version


@transaction.atomic
def version_reject(*, version: TemplateVersion, actor: User, comment: str) -> TemplateVersion:
    """Send a version in review back to draft with the reviewer's reasons."""
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.IN_REVIEW)
    _check_reviewer(version, actor)
    if not comment.strip():
        raise ValidationError(_("Say why the version is rejected."))
    version.status = Status.DRAFT
    version.content_hash = ""
    version.submitted_at = None
    version.save(update_fields=["status", "content_hash", "submitted_at"])
    ReviewEvent.objects.create(
        version=version, actor=actor, action=ReviewEvent.Action.REJECTED, comment=comment
    )
    return version


@transaction.atomic
def version_publish(*, version: TemplateVersion, actor: User) -> TemplateVersion:
    """Publish an approved version; the one published before it is retired."""
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.APPROVED, Status.RETIRED)
    if not version.approved_at:
        raise ValidationError(_("Only an approved version can be published."))
    previous = (
        TemplateVersion.objects.select_for_update()
        .filter(communication_id=version.communication_id, status=Status.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.status = Status.RETIRED
        previous.save(update_fields=["status"])
        ReviewEvent.objects.create(version=previous, actor=actor, action=ReviewEvent.Action.RETIRED)
    version.status = Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    ReviewEvent.objects.create(
        version=version,
        actor=actor,
        action=ReviewEvent.Action.PUBLISHED,
        content_hash=version.content_hash,
    )
    return version
