"""Every read of recipients (addresses, phone numbers, names), through the API or a page,
is recorded in the compliance access log, whoever reads them and whatever their role."""

from collections.abc import Iterable

from django.contrib.auth.models import User

from compliance.models import AccessLog
from compliance.services import access_log_record


def recipient_read_record(
    *,
    reader: User,
    api: str,
    message_ids: Iterable[int],
    batch_id: int | None = None,
    status: str | None = None,
) -> AccessLog:
    """Record that ``reader`` was shown the recipients of these messages through ``api``,
    the method and path of the endpoint or page (``"GET /api/batches/12/messages"``,
    ``"GET /batches/12/"``): who and when are the log's actor and time, what is its query
    (the endpoint or page, the batch, the status filter and the message ids)."""
    query: dict[str, object] = {"api": api}
    if batch_id is not None:
        query["batch"] = batch_id
    if status:
        query["status"] = status
    query["messages"] = list(message_ids)
    return access_log_record(actor=reader, action=AccessLog.Action.VIEW, query=query)
