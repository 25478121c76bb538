import pytest

from channels import services as channel_services
from compliance.models import ArchiveEntry
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """One batch sent by email (English), SMS (Japanese) and letter, and its archive
    entries by channel."""
    version = published_version()
    customers = [
        CustomerFactory(
            channel_preference=["email"], email="alex.jones@example.net", name="Alex Jones"
        ),
        CustomerFactory(channel_preference=["sms"], locale="ja", name="山田 太郎"),
        CustomerFactory(channel_preference=["print"]),
    ]
    rows = [{"customer_id": c.external_id, "data": SAMPLE} for c in customers]
    with django_capture_on_commit_callbacks(execute=True):
        batch = channel_services.batch_create(
            communication=version.communication, rows=rows, created_by=UserFactory()
        )
    entries = {e.channel: e for e in ArchiveEntry.objects.filter(message__batch=batch)}
    assert set(entries) == {"email", "sms", "print"}
    return {"batch": batch, "version": version, "customers": customers, **entries}
