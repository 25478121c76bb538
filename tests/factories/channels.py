import datetime as dt

from django.utils import timezone

from channels.models import Batch
from channels.services import batch_create
from tests.factories.templates_store import SAMPLE, published_version


def scheduled_batch(owner, email="ana@example.com", customer_id=None) -> Batch:
    """A batch of one recipient owned by ``owner``, scheduled for tomorrow (so still
    cancellable): by address, or by ``customer_id`` when given."""
    version = published_version()
    row = {"customer_id": customer_id} if customer_id else {"email": email, "name": "Ana Lima"}
    return batch_create(
        communication=version.communication,
        rows=[{**row, "data": SAMPLE}],
        created_by=owner,
        send_at=timezone.now() + dt.timedelta(days=1),
    )
