import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from templates_store import services
from templates_store.models import ReviewEvent, TemplateVariant, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import (
    PAYMENT_SCHEMA,
    SAMPLE,
    BrandFactory,
    add_variants,
    published_version,
)

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


@pytest.fixture
def draft():
    author = UserFactory(roles=["designer"])
    communication = services.communication_create(
        key="reminder",
        name="Reminder",
        category="transactional",
        brand=BrandFactory(),
        author=author,
        data_schema=PAYMENT_SCHEMA,
    )
    version = communication.versions.get()
    services.version_sample_data_save(version=version, sample_data=SAMPLE)
    return add_variants(version)


class VersionLifecycleTests:
    def test_submit_records_the_content_hash_and_freezes_the_version(self, draft):
        services.version_submit(version=draft, actor=draft.author)
        draft.refresh_from_db()
        assert draft.status == Status.IN_REVIEW
        assert draft.content_hash == draft.compute_content_hash()
        with pytest.raises(ValidationError):
            services.variant_save(version=draft, channel="sms", locale="en", body_text="changed")

    def test_submit_is_refused_when_a_variant_does_not_render(self, draft):
        services.variant_save(
            version=draft, channel="sms", locale="en", body_text="Hi {{ nickname }}"
        )
        with pytest.raises(ValidationError) as err:
            services.version_submit(version=draft, actor=draft.author)
        assert "sms/en" in str(err.value) and "nickname" in str(err.value)
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT

    def test_the_author_can_never_approve_their_own_version(self, draft):
        draft.author.groups.add(*UserFactory(roles=["approver"]).groups.all())
        services.version_submit(version=draft, actor=draft.author)
        with pytest.raises(PermissionDenied):
            services.version_approve(version=draft, actor=draft.author)
        draft.refresh_from_db()
        assert draft.status == Status.IN_REVIEW

    def test_approval_is_bound_to_the_submitted_content(self, draft):
        services.version_submit(version=draft, actor=draft.author)
        TemplateVariant.objects.filter(version=draft, channel="sms", locale="en").update(
            body_text="tampered"
        )
        with pytest.raises(ValidationError, match="changed after submission"):
            services.version_approve(version=draft, actor=UserFactory())

    def test_reject_sends_it_back_to_draft_with_the_comment(self, draft):
        services.version_submit(version=draft, actor=draft.author)
        approver = UserFactory()
        with pytest.raises(ValidationError):
            services.version_reject(version=draft, actor=approver, comment=" ")
        services.version_reject(version=draft, actor=approver, comment="Wrong due date wording")
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT
        assert draft.events.last().comment == "Wrong due date wording"

    def test_publish_retires_the_previous_version(self, draft):
        previous = published_version(communication=draft.communication)
        approver = UserFactory()
        services.version_submit(version=draft, actor=draft.author)
        services.version_approve(version=draft, actor=approver)
        services.version_publish(version=draft, actor=approver)
        previous.refresh_from_db()
        draft.refresh_from_db()
        assert (previous.status, draft.status) == (Status.RETIRED, Status.PUBLISHED)
        assert [e.action for e in draft.events.all()] == [
            ReviewEvent.Action.CREATED,
            ReviewEvent.Action.SUBMITTED,
            ReviewEvent.Action.APPROVED,
            ReviewEvent.Action.PUBLISHED,
        ]

    def test_only_approved_versions_can_be_published(self, draft):
        with pytest.raises(ValidationError):
            services.version_publish(version=draft, actor=UserFactory())

    def test_a_new_draft_copies_the_latest_content(self, draft):
        new = services.version_create(communication=draft.communication, author=UserFactory())
        assert new.number == 2
        assert new.variants.count() == draft.variants.count()
        assert new.sample_data == SAMPLE
