"""Writes to the archive. Entries are created once and never updated."""

import hashlib
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from compliance.models import AccessLog, ArchiveEntry

_EXTENSIONS = {"message/rfc822": "eml", "text/plain": "txt", "application/pdf": "pdf"}


def artifact_store(*, content: bytes, content_type: str) -> tuple[str, str]:
    """Store ``content`` under its sha256 in the archive storage; return (name, sha256).

    The name is derived from the content, so an existing file is the same bytes and is
    never overwritten.
    """
    digest = hashlib.sha256(content).hexdigest()
    name = f"{digest[:2]}/{digest[2:4]}/{digest}.{_EXTENSIONS.get(content_type, 'bin')}"
    storage = storages["archive"]
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(content))
        if saved != name:  # pragma: no cover - a storage that renames would break addressing
            raise RuntimeError(f"archive storage renamed {name} to {saved}")
    return name, digest


def artifact_read(*, entry: ArchiveEntry) -> bytes:
    with storages["archive"].open(entry.artifact_name, "rb") as fh:
        return fh.read()


@transaction.atomic
def archive_record_create(
    *,
    content: bytes,
    content_type: str,
    message: Any | None,
    version: Any,
    channel: str,
    locale: str,
    recipient: str,
    recipient_name: str = "",
    subject: str = "",
    data: dict[str, Any],
    customer: Any | None = None,
    backend: str = "",
    message_reference: str = "",
    is_test: bool = False,
) -> ArchiveEntry:
    """Archive one communication as it leaves: the artifact bytes and what they were.

    For a pipeline message already archived (a retry after a crash), the existing entry
    is returned: one message, one entry.
    """
    if message is not None and not is_test:
        existing = ArchiveEntry.objects.filter(message=message, is_test=False).first()
        if existing is not None:
            return existing
    name, digest = artifact_store(content=content, content_type=content_type)
    return ArchiveEntry.objects.create(
        message=message,
        is_test=is_test,
        communication_id=version.communication_id,
        version=version,
        content_hash=version.content_hash,
        customer=customer,
        channel=channel,
        locale=locale,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=subject,
        data=data,
        artifact_name=name,
        artifact_sha256=digest,
        artifact_size=len(content),
        content_type=content_type,
        backend=backend,
        message_reference=message_reference,
    )


def access_log_record(
    *, actor: AbstractBaseUser, action: str, entry: ArchiveEntry | None = None, query: dict[str, Any] | None = None
) -> AccessLog:
    """Record that a person searched, viewed or downloaded archive content."""
    return AccessLog.objects.create(actor=actor, action=action, entry=entry, query=query or {})
