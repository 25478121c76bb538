"""Writes for communications and their versions.

draft -> in_review -> approved -> published -> retired; a rejection sends the version back
to draft with the approver's comment. Every step is recorded as a ReviewEvent. The steps
shared with blocks and themes are ``templates_store.review``; ``VERSION_REVIEW`` names
what communication versions do differently (pinning shared content at submission, the
publishing schedule cleared when published). Scheduling, roll back and retiring live here.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from templates_store import review
from templates_store.lint import ERROR, version_lint
from templates_store.models import (
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)
from templates_store.models.communications import LetterEnvelope
from templates_store.shared_services import version_pin_shared_content

Status = TemplateVersion.Status


def data_schema_check(schema: Any) -> None:
    """Raise ValidationError (on ``data_schema``) unless ``schema`` is a JSON Schema object."""
    if not isinstance(schema, dict):
        raise ValidationError({"data_schema": _("Must be a JSON object ({...}).")})
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise ValidationError(
            {"data_schema": _("Not a valid JSON Schema: %(error)s") % {"error": exc.message}}
        ) from exc


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
    sms_sender: str = "",
    letter_envelope: str = LetterEnvelope.DIN_DL,
    email_reply_to: str = "",
    email_attach_letter: bool = False,
    email_tracking: bool = False,
) -> Communication:
    """Create a communication with an empty draft version 1."""
    communication = Communication(
        email_reply_to=email_reply_to,
        email_attach_letter=email_attach_letter,
        email_tracking=email_tracking,
        sms_max_segments=sms_max_segments,
        letter_max_pages=letter_max_pages,
        sms_sender=sms_sender,
        letter_envelope=letter_envelope,
        key=key,
        name=name,
        category=category,
        brand=brand,
        purpose=purpose,
        description=description,
        owner_team=owner_team,
        data_schema=data_schema or {},
    )
    data_schema_check(communication.data_schema)
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
    review.require_status(version, Status.DRAFT)
    variant, _created = TemplateVariant.objects.get_or_create(
        version=version, channel=channel, locale=locale
    )
    variant.subject, variant.body_html, variant.body_text = subject, body_html, body_text
    variant.full_clean()
    variant.save()
    return variant


def variant_delete(*, version: TemplateVersion, channel: str, locale: str) -> None:
    review.require_status(version, Status.DRAFT)
    TemplateVariant.objects.filter(version=version, channel=channel, locale=locale).delete()


def version_sample_data_save(*, version: TemplateVersion, sample_data: dict[str, Any]) -> None:
    review.require_status(version, Status.DRAFT)
    version.sample_data = sample_data
    version.save(update_fields=["sample_data"])


def version_check(*, version: TemplateVersion) -> list[str]:
    """The lint errors that block submission (see templates_store.lint), as sentences."""
    return [str(issue) for issue in version_lint(version=version) if issue.level == ERROR]


# REVIEW -------------------------------------------------------------------------------


def _review_event(
    version: TemplateVersion, *, actor: User, action: str, comment: str = "", content_hash: str = ""
) -> None:
    ReviewEvent.objects.create(
        version=version, actor=actor, action=action, comment=comment, content_hash=content_hash
    )


def _pin_shared_content(version: TemplateVersion) -> tuple[str, ...]:
    # The exact block and theme versions it uses, covered by the content hash.
    version_pin_shared_content(version=version)
    return ("block_pins", "theme_pin")


def _same_communication(version: TemplateVersion) -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.filter(communication_id=version.communication_id)


def _clear_schedule(version: TemplateVersion) -> tuple[str, ...]:
    version.publish_at = None
    version.publish_requested_by = None
    return ("publish_at", "publish_requested_by")


VERSION_REVIEW = review.Workflow[TemplateVersion](
    record=_review_event,
    check=lambda version: version_check(version=version),
    pin=_pin_shared_content,
    siblings=_same_communication,
    on_publish=_clear_schedule,
    retired_event_has_hash=False,
)


def version_submit(*, version: TemplateVersion, actor: User) -> TemplateVersion:
    """Freeze a draft for review: pin the block and theme versions it uses and record its
    content hash. Raises ValidationError."""
    return review.submit(VERSION_REVIEW, version=version, actor=actor)


def version_approve(*, version: TemplateVersion, actor: User, comment: str = "") -> TemplateVersion:
    """Approve a version in review. The author can never approve; approval is bound to
    the content hash recorded at submission. Raises PermissionDenied, ValidationError."""
    return review.approve(VERSION_REVIEW, version=version, actor=actor, comment=comment)


def version_reject(*, version: TemplateVersion, actor: User, comment: str) -> TemplateVersion:
    """Send a version in review back to draft with the reviewer's reasons."""
    return review.reject(VERSION_REVIEW, version=version, actor=actor, comment=comment)


COMMUNICATION_EDITABLE_FIELDS = frozenset(Communication.DESIGNER_FIELDS)


def communication_update(*, communication: Communication, **fields: Any) -> Communication:
    """Change a communication's description, data schema or limits (its key never changes:
    back-office systems send by key). Raises ValidationError naming the field."""
    unknown = set(fields) - COMMUNICATION_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in sorted(unknown)}
        )
    if "data_schema" in fields:
        data_schema_check(fields["data_schema"])
    for name, value in fields.items():
        setattr(communication, name, value)
    communication.full_clean()
    communication.save()
    return communication


# PUBLISHING ---------------------------------------------------------------------------
#
# A version is published now, or scheduled: it stays approved with ``publish_at`` set.
# ``selectors.version_published`` honours a due ``publish_at`` at once (a batch accepted
# one second after the effective time uses the new version); ``versions_publish_due``
# (Celery beat, every minute) then records the step: status, the retired predecessor and
# the review events, in effective-time order.

PUBLISHABLE = review.PUBLISHABLE


def _publish_due_for(*, communication_id: int, now: dt.datetime) -> list[TemplateVersion]:
    due = list(
        TemplateVersion.objects.select_for_update()
        .filter(communication_id=communication_id, status__in=PUBLISHABLE, publish_at__lte=now)
        .order_by("publish_at", "pk")
    )
    for version in due:
        requested_by = version.publish_requested_by or version.approved_by
        assert requested_by is not None  # only approved versions are scheduled
        assert version.publish_at is not None
        review.publish_now(
            VERSION_REVIEW,
            version=version,
            actor=requested_by,
            at=version.publish_at,
            comment=_("Scheduled for %(when)s.") % {"when": version.publish_at.isoformat()},
        )
    return due


def versions_publish_due(*, now: dt.datetime | None = None) -> list[TemplateVersion]:
    """Record the publication of every scheduled version whose effective time has come
    (in effective-time order, so the latest due one ends up published). Idempotent: a
    version already recorded is no longer scheduled. Returns the versions published."""
    now = now or timezone.now()
    communication_ids = set(
        TemplateVersion.objects.filter(status__in=PUBLISHABLE, publish_at__lte=now).values_list(
            "communication_id", flat=True
        )
    )
    published: list[TemplateVersion] = []
    for communication_id in sorted(communication_ids):
        with transaction.atomic():
            published += _publish_due_for(communication_id=communication_id, now=now)
    return published


@transaction.atomic
def version_publish(
    *,
    version: TemplateVersion,
    actor: User,
    publish_at: dt.datetime | None = None,
    comment: str = "",
) -> TemplateVersion:
    """Publish an approved (or retired: a roll back) version now, or from ``publish_at``.

    Now: the published version is retired; publishing a version that was published before
    is recorded as a roll back. With a future ``publish_at`` the version stays approved
    and is scheduled (a ``scheduled`` event); scheduling again moves the date. Raises
    ValidationError when the version is not approved or ``publish_at`` is not timezone-aware.
    """
    now = timezone.now()
    if publish_at is not None and timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": _("Give the time with its time zone.")})
    _publish_due_for(communication_id=version.communication_id, now=now)
    version = review.lock_publishable(version)
    if publish_at is not None and publish_at > now:
        version.publish_at = publish_at
        version.publish_requested_by = actor  # type: ignore[assignment]
        version.save(update_fields=["publish_at", "publish_requested_by"])
        ReviewEvent.objects.create(
            version=version,
            actor=actor,
            action=ReviewEvent.Action.SCHEDULED,
            comment="\n".join(
                part
                for part in (
                    _("From %(when)s.") % {"when": publish_at.isoformat()},
                    comment.strip(),
                )
                if part
            ),
            content_hash=version.content_hash,
        )
        return version
    return review.publish_now(
        VERSION_REVIEW, version=version, actor=actor, at=now, comment=comment.strip()
    )


@transaction.atomic
def version_unschedule(*, version: TemplateVersion, actor: User) -> TemplateVersion:
    """Cancel a scheduled publication that has not taken effect yet."""
    _publish_due_for(communication_id=version.communication_id, now=timezone.now())
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    if version.publish_at is None:
        raise ValidationError(_("This version is not scheduled for publishing."))
    version.publish_at = None
    version.publish_requested_by = None
    version.save(update_fields=["publish_at", "publish_requested_by"])
    ReviewEvent.objects.create(version=version, actor=actor, action=ReviewEvent.Action.UNSCHEDULED)
    return version


@transaction.atomic
def version_rollback(
    *, version: TemplateVersion, actor: User, comment: str = ""
) -> TemplateVersion:
    """Publish again an earlier approved version than the published one, at once; recorded
    as a ``rolled_back`` step. Raises ValidationError when nothing later is published."""
    _publish_due_for(communication_id=version.communication_id, now=timezone.now())
    version = review.lock_publishable(version)
    later = TemplateVersion.objects.filter(
        communication_id=version.communication_id,
        status=Status.PUBLISHED,
        number__gt=version.number,
    ).exists()
    if not later:
        raise ValidationError(_("A roll back returns to a version older than the published one."))
    return review.publish_now(
        VERSION_REVIEW,
        version=version,
        actor=actor,
        at=timezone.now(),
        comment=comment.strip(),
        rollback=True,
    )


@transaction.atomic
def version_retire(*, version: TemplateVersion, actor: User, comment: str = "") -> TemplateVersion:
    """Retire a published or approved version: nothing is sent with it any more until it
    is published again. Raises ValidationError in any other status."""
    _publish_due_for(communication_id=version.communication_id, now=timezone.now())
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    review.require_status(version, Status.PUBLISHED, Status.APPROVED)
    version.status = Status.RETIRED
    version.publish_at = None
    version.publish_requested_by = None
    version.save(update_fields=["status", "publish_at", "publish_requested_by"])
    ReviewEvent.objects.create(
        version=version, actor=actor, action=ReviewEvent.Action.RETIRED, comment=comment.strip()
    )
    return version
