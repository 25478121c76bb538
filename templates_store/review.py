"""The review workflow of every reviewed version: communication versions, block versions and
theme versions.

draft -> in_review -> approved -> published -> retired; a rejection sends the version back
to draft with the reviewer's comment. The author never approves or rejects their own
version (four eyes), and approval is bound to the content hash recorded at submission.

What differs between the kinds of version is named by a ``Workflow``, built once by the
module that owns the kind (``services.VERSION_REVIEW``, ``shared_services.SHARED_REVIEW``):
the event row each step writes, the checks that block submission, what is pinned at
submission, which versions compete for "published", and what publishing also clears.
The transitions here are the same for all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from templates_store.models import ReviewEvent, SharedVersion, TemplateVersion

Status = TemplateVersion.Status
Action = ReviewEvent.Action
V = TypeVar("V", bound=TemplateVersion | SharedVersion)
# A workflow for a kind of version serves its subclasses too (block and theme versions).
V_contra = TypeVar("V_contra", bound=TemplateVersion | SharedVersion, contravariant=True)
PUBLISHABLE = (Status.APPROVED, Status.RETIRED)


class EventRecorder(Protocol[V_contra]):
    """Writes the audit row of one step (a ``ReviewEvent`` or a ``SharedContentEvent``)."""

    def __call__(
        self,
        version: V_contra,
        *,
        actor: User,
        action: str,
        comment: str = "",
        content_hash: str = "",
    ) -> None: ...


@dataclass(frozen=True)
class Workflow(Generic[V_contra]):
    """What one kind of reviewed version does differently; the steps are the same."""

    # The audit row of a step.
    record: EventRecorder[V_contra]
    # The errors that block submission, as sentences ([] when none).
    check: Callable[[V_contra], list[str]]
    # Sets what the submitted version pins (before its content hash, which covers it);
    # returns the names of the fields it set, saved with the submission.
    pin: Callable[[V_contra], tuple[str, ...]]
    # The versions of which at most one is published (the same communication, block, brand).
    siblings: Callable[[V_contra], QuerySet[Any]]
    # Clears what publishing ends (a schedule); returns the names of the fields it set.
    on_publish: Callable[[V_contra], tuple[str, ...]]
    # Whether the ``retired`` event of the version a publication replaces records that
    # version's content hash (shared content does; communication versions record none).
    retired_event_has_hash: bool


def no_fields(version: Any) -> tuple[str, ...]:
    """For ``pin`` / ``on_publish`` of a kind that pins or clears nothing."""
    return ()


def require_status(version: TemplateVersion | SharedVersion, *allowed: str) -> None:
    """Raise ValidationError unless ``version`` is in one of the ``allowed`` statuses."""
    if version.status not in allowed:
        names = ", ".join(str(Status(s).label) for s in allowed)
        raise ValidationError(
            _("Version %(number)s is %(status)s; this needs: %(allowed)s.")
            % {"number": version.number, "status": version.get_status_display(), "allowed": names}
        )


def check_reviewer(version: TemplateVersion | SharedVersion, actor: User) -> None:
    """Four eyes: raise PermissionDenied when ``actor`` is the author of ``version``."""
    if version.author_id == actor.pk:
        raise PermissionDenied(
            _("Nobody approves their own work: another approver must review this version.")
        )


def locked(version: V) -> V:
    """``version`` read again under a row lock (inside the caller's transaction)."""
    # django-stubs types the default manager of a union bound as the union.
    return cast(V, type(version)._default_manager.select_for_update().get(pk=version.pk))


@transaction.atomic
def submit(workflow: Workflow[V], *, version: V, actor: User) -> V:
    """Freeze a draft for review: pin what it uses and record its content hash."""
    version = locked(version)
    require_status(version, Status.DRAFT)
    errors = workflow.check(version)
    if errors:
        raise ValidationError(errors)
    pinned = workflow.pin(version)
    version.content_hash = version.compute_content_hash()
    version.status = Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=[*pinned, "content_hash", "status", "submitted_at"])
    workflow.record(
        version, actor=actor, action=Action.SUBMITTED, content_hash=version.content_hash
    )
    return version


@transaction.atomic
def approve(workflow: Workflow[V], *, version: V, actor: User, comment: str = "") -> V:
    """Approve a version in review: never by its author, and only while the content still
    matches the hash recorded at submission. Raises PermissionDenied, ValidationError."""
    version = locked(version)
    require_status(version, Status.IN_REVIEW)
    check_reviewer(version, actor)
    if version.compute_content_hash() != version.content_hash:
        raise ValidationError(_("The content changed after submission; it cannot be approved."))
    version.status = Status.APPROVED
    version.approved_by = actor  # type: ignore[assignment]
    version.approved_at = timezone.now()
    version.save(update_fields=["status", "approved_by", "approved_at"])
    workflow.record(
        version,
        actor=actor,
        action=Action.APPROVED,
        comment=comment,
        content_hash=version.content_hash,
    )
    return version


@transaction.atomic
def reject(workflow: Workflow[V], *, version: V, actor: User, comment: str) -> V:
    """Send a version in review back to draft with the reviewer's reasons."""
    version = locked(version)
    require_status(version, Status.IN_REVIEW)
    check_reviewer(version, actor)
    if not comment.strip():
        raise ValidationError(_("Say why the version is rejected."))
    version.status = Status.DRAFT
    version.content_hash = ""
    version.submitted_at = None
    version.save(update_fields=["status", "content_hash", "submitted_at"])
    workflow.record(version, actor=actor, action=Action.REJECTED, comment=comment)
    return version


def lock_publishable(version: V) -> V:
    """``version`` locked, once it is approved (or retired after approval). The caller holds
    the transaction. Raises ValidationError."""
    version = locked(version)
    require_status(version, *PUBLISHABLE)
    if not version.approved_at:
        raise ValidationError(_("Only an approved version can be published."))
    return version


def publish_now(
    workflow: Workflow[V],
    *,
    version: V,
    actor: User,
    at: dt.datetime,
    comment: str = "",
    rollback: bool = False,
) -> V:
    """Make a locked, publishable ``version`` the published one and retire the one it
    replaces (the caller holds the lock). Publishing a version that was published before
    is recorded as a roll back."""
    rollback = rollback or version.published_at is not None
    previous = (
        workflow.siblings(version)
        .select_for_update()
        .filter(status=Status.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    if previous is not None:
        previous.status = Status.RETIRED
        previous.save(update_fields=["status"])
        workflow.record(
            previous,
            actor=actor,
            action=Action.RETIRED,
            content_hash=previous.content_hash if workflow.retired_event_has_hash else "",
        )
    version.status = Status.PUBLISHED
    version.published_at = at
    cleared = workflow.on_publish(version)
    version.save(update_fields=["status", "published_at", *cleared])
    workflow.record(
        version,
        actor=actor,
        action=Action.ROLLED_BACK if rollback else Action.PUBLISHED,
        comment=comment,
        content_hash=version.content_hash,
    )
    return version
