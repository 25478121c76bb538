"""The one review workflow (templates_store.review) and what each kind of version does
differently (services.VERSION_REVIEW, shared_services.SHARED_REVIEW)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from templates_store import review, services, shared_services
from templates_store.models import ReviewEvent, TemplateVersion

pytestmark = pytest.mark.django_db

Status = TemplateVersion.Status
Action = ReviewEvent.Action


def _trail(events):
    return [(e.action, e.comment, e.content_hash) for e in events.order_by("at", "id")]


def _block_version(draft, designer, *, body="Legal v1"):
    block = shared_services.block_create(
        brand=draft.communication.brand, key="legal", name="Legal", kind="legal", author=designer
    )
    version = block.versions.get()
    shared_services.block_content_save(version=version, channel="sms", locale="en", body=body)
    return version


class RequireStatusTests:
    def test_names_the_version_its_status_and_the_statuses_needed(self, draft):
        with pytest.raises(ValidationError) as caught:
            review.require_status(draft, Status.IN_REVIEW, Status.APPROVED)
        assert caught.value.messages == ["Version 1 is Draft; this needs: In review, Approved."]

    def test_an_allowed_status_passes(self, draft):
        review.require_status(draft, Status.DRAFT)


class FourEyesTests:
    def test_the_author_is_refused_and_anybody_else_passes(self, draft, designer, approver):
        with pytest.raises(PermissionDenied, match="Nobody approves their own work"):
            review.check_reviewer(draft, designer)
        review.check_reviewer(draft, approver)

    @pytest.mark.parametrize("step", [review.approve, review.reject])
    def test_both_kinds_refuse_their_author(self, step, draft, designer):
        block_version = _block_version(draft, designer)
        services.version_submit(version=draft, actor=designer)
        shared_services.shared_version_submit(version=block_version, actor=designer)
        for workflow, version in (
            (services.VERSION_REVIEW, draft),
            (shared_services.SHARED_REVIEW, block_version),
        ):
            with pytest.raises(PermissionDenied):
                step(workflow, version=version, actor=designer, comment="mine")
            version.refresh_from_db()
            assert version.status == Status.IN_REVIEW


class WhatDiffersTests:
    def test_a_communication_version_pins_at_submission_and_a_block_version_does_not(
        self, draft, designer
    ):
        block_version = _block_version(draft, designer)
        submitted = services.version_submit(version=draft, actor=designer)
        assert submitted.theme_pin == {} and submitted.block_pins == {}
        assert submitted.content_hash == submitted.compute_content_hash()
        shared = shared_services.shared_version_submit(version=block_version, actor=designer)
        assert shared.status == Status.IN_REVIEW
        assert not hasattr(shared, "block_pins")

    def test_the_trail_of_a_communication_version(self, draft, designer, approver):
        services.version_submit(version=draft, actor=designer)
        services.version_reject(version=draft, actor=approver, comment="Too long.")
        services.version_submit(version=draft, actor=designer)
        services.version_approve(version=draft, actor=approver, comment="Fine.")
        services.version_publish(version=draft, actor=approver, comment=" Go. ")
        v2 = services.version_create(communication=draft.communication, author=designer)
        services.version_submit(version=v2, actor=designer)
        services.version_approve(version=v2, actor=approver)
        services.version_publish(version=v2, actor=approver)
        draft.refresh_from_db()
        content_hash = draft.content_hash
        assert content_hash
        assert _trail(draft.events) == [
            (Action.CREATED, "", ""),
            (Action.SUBMITTED, "", content_hash),
            (Action.REJECTED, "Too long.", ""),
            (Action.SUBMITTED, "", content_hash),
            (Action.APPROVED, "Fine.", content_hash),
            (Action.PUBLISHED, "Go.", content_hash),
            # The retired predecessor's event records no hash for communication versions.
            (Action.RETIRED, "", ""),
        ]
        assert draft.status == Status.RETIRED

    def test_the_trail_of_a_block_version(self, draft, designer, approver):
        first = _block_version(draft, designer)
        shared_services.shared_version_submit(version=first, actor=designer)
        shared_services.shared_version_reject(version=first, actor=approver, comment="No.")
        shared_services.shared_version_submit(version=first, actor=designer)
        shared_services.shared_version_approve(version=first, actor=approver, comment="Yes.")
        shared_services.shared_version_publish(version=first, actor=approver, comment=" Go. ")
        second = shared_services.block_version_create(block=first.block, author=designer)
        shared_services.shared_version_submit(version=second, actor=designer)
        shared_services.shared_version_approve(version=second, actor=approver)
        shared_services.shared_version_publish(version=second, actor=approver)
        first.refresh_from_db()
        content_hash = first.content_hash
        assert content_hash
        assert _trail(first.events) == [
            (Action.CREATED, "", ""),
            (Action.SUBMITTED, "", content_hash),
            (Action.REJECTED, "No.", ""),
            (Action.SUBMITTED, "", content_hash),
            (Action.APPROVED, "Yes.", content_hash),
            (Action.PUBLISHED, "Go.", content_hash),
            # Shared content keeps the hash on the retired predecessor's event.
            (Action.RETIRED, "", content_hash),
        ]
        assert first.status == Status.RETIRED

    def test_publishing_again_is_a_roll_back_for_both_kinds(self, draft, designer, approver):
        first = _block_version(draft, designer)
        shared_services.shared_version_submit(version=first, actor=designer)
        shared_services.shared_version_approve(version=first, actor=approver)
        shared_services.shared_version_publish(version=first, actor=approver)
        second = shared_services.block_version_create(block=first.block, author=designer)
        shared_services.shared_version_submit(version=second, actor=designer)
        shared_services.shared_version_approve(version=second, actor=approver)
        shared_services.shared_version_publish(version=second, actor=approver)
        again = shared_services.shared_version_publish(version=first, actor=approver)
        assert again.status == Status.PUBLISHED
        assert first.events.order_by("at", "id").last().action == Action.ROLLED_BACK

    def test_only_an_approved_version_is_published(self, draft, designer, approver):
        block_version = _block_version(draft, designer)
        with pytest.raises(ValidationError, match="this needs: Approved, Retired"):
            shared_services.shared_version_publish(version=block_version, actor=approver)
        with pytest.raises(ValidationError, match="this needs: Approved, Retired"):
            services.version_publish(version=draft, actor=approver)
