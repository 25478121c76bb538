"""channels/receivers.py: what channels does when the archive below it reports a change."""

import pytest
from django.utils import timezone

from channels.models import Message
from compliance.models import ArchiveEntry
from compliance.retention import add_years, archive_purge
from compliance.services import archive_record_create
from tests.factories.templates_store import CommunicationFactory, published_version

pytestmark = pytest.mark.django_db


def _sent_and_archived(category: str) -> Message:
    version = published_version(communication=CommunicationFactory(category=category))
    message = Message.objects.create(
        version=version,
        channel="sms",
        locale="en",
        recipient="+447700900001",
        recipient_name="Hana Sato",
        data={"amount": 12},
        status="sent",
    )
    archive_record_create(
        content=f"text {message.pk}".encode(),
        content_type="text/plain",
        message=message,
        version=version,
        channel="sms",
        locale="en",
        recipient=message.recipient,
        data=message.data,
    )
    return message


class PurgedMessageScrubTests:
    def test_a_purged_entry_takes_its_messages_personal_data_with_it(self, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        purged, kept = _sent_and_archived("marketing"), _sent_and_archived("regulatory")
        assert archive_purge(now=add_years(timezone.now(), 3)).purged == 1
        assert not ArchiveEntry.objects.filter(message=purged).exists()
        purged.refresh_from_db()
        assert (purged.recipient, purged.recipient_name, purged.data) == ("", "", {})
        kept.refresh_from_db()
        assert (kept.recipient, kept.recipient_name, kept.data) == (
            "+447700900001",
            "Hana Sato",
            {"amount": 12},
        )
