"""Writes for communications and their versions: the review lifecycle lives here.

draft -> in_review -> approved -> published -> retired; a rejection sends the version back
to draft with the approver's comment. Every step is recorded as a ReviewEvent.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from templates_store.lint import ERROR, version_lint
from templates_store.models import (
    Brand,
    Communication,
    LetterEnvelope,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)
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
    """Freeze a draft for review: pin the block and theme versions it uses and record its
    content hash. Raises ValidationError."""
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.DRAFT)
    errors = version_check(version=version)
    if errors:
        raise ValidationError(errors)
    # The exact block and theme versions it uses, covered by the content hash.
    version_pin_shared_content(version=version)
    version.content_hash = version.compute_content_hash()
    version.status = Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(
        update_fields=["block_pins", "theme_pin", "content_hash", "status", "submitted_at"]
    )
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

PUBLISHABLE = (Status.APPROVED, Status.RETIRED)


def _publish_now(
    *,
    version: TemplateVersion,
    actor: User,
    at: dt.datetime,
    comment: str = "",
    rollback: bool = False,
) -> TemplateVersion:
    """Make a locked, publishable ``version`` the published one (caller holds the lock).
    Publishing a version that was published before is recorded as a roll back."""
    rollback = rollback or version.published_at is not None
    previous = (
        TemplateVersion.objects.select_for_update()
        .filter(communication_id=version.communication_id, status=Status.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    if previous is not None:
        previous.status = Status.RETIRED
        previous.save(update_fields=["status"])
        ReviewEvent.objects.create(version=previous, actor=actor, action=ReviewEvent.Action.RETIRED)
    version.status = Status.PUBLISHED
    version.published_at = at
    version.publish_at = None
    version.publish_requested_by = None
    version.save(update_fields=["status", "published_at", "publish_at", "publish_requested_by"])
    ReviewEvent.objects.create(
        version=version,
        actor=actor,
        action=ReviewEvent.Action.ROLLED_BACK if rollback else ReviewEvent.Action.PUBLISHED,
        comment=comment,
        content_hash=version.content_hash,
    )
    return version


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
        _publish_now(
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


def _lock_publishable(version: TemplateVersion) -> TemplateVersion:
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, *PUBLISHABLE)
    if not version.approved_at:
        raise ValidationError(_("Only an approved version can be published."))
    return version


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
    version = _lock_publishable(version)
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
    return _publish_now(version=version, actor=actor, at=now, comment=comment.strip())


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
    version = _lock_publishable(version)
    later = TemplateVersion.objects.filter(
        communication_id=version.communication_id,
        status=Status.PUBLISHED,
        number__gt=version.number,
    ).exists()
    if not later:
        raise ValidationError(_("A roll back returns to a version older than the published one."))
    return _publish_now(
        version=version, actor=actor, at=timezone.now(), comment=comment.strip(), rollback=True
    )


@transaction.atomic
def version_retire(*, version: TemplateVersion, actor: User, comment: str = "") -> TemplateVersion:
    """Retire a published or approved version: nothing is sent with it any more until it
    is published again. Raises ValidationError in any other status."""
    _publish_due_for(communication_id=version.communication_id, now=timezone.now())
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _require_status(version, Status.PUBLISHED, Status.APPROVED)
    version.status = Status.RETIRED
    version.publish_at = None
    version.publish_requested_by = None
    version.save(update_fields=["status", "publish_at", "publish_requested_by"])
    ReviewEvent.objects.create(
        version=version, actor=actor, action=ReviewEvent.Action.RETIRED, comment=comment.strip()
    )
    return version
