"""Archive storages: a folder whose files are never replaced, and S3 with Object Lock
(write once, keep until a date).

On S3, each artifact is written with a retention date (its category's retention from now); S3
itself then refuses to delete or overwrite that object version before the date, whoever
asks. The bucket must have Object Lock enabled. Reads go through the ordinary
django-storages S3 storage.
"""

import base64
import datetime as dt
import hashlib
import os
import threading
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class LockingStorage(Protocol):
    def save_locked(
        self, name: str, content: bytes, *, content_type: str, retain_until: dt.datetime
    ) -> str: ...


class ObjectLockS3Storage(S3Storage):
    """OPTIONS as django-storages' S3Storage, plus ``object_lock_mode`` (COMPLIANCE, the
    default: nobody can shorten it; or GOVERNANCE)."""

    def __init__(self, **settings: Any) -> None:
        self.object_lock_mode = settings.pop("object_lock_mode", "COMPLIANCE")
        super().__init__(**settings)

    def save_locked(
        self, name: str, content: bytes, *, content_type: str, retain_until: dt.datetime
    ) -> str:
        key = self._normalize_name(clean_name(name))
        self.bucket.Object(key).put(
            Body=content,
            ContentType=content_type,
            # Object Lock requires an integrity checksum on the request.
            ContentMD5=base64.b64encode(hashlib.md5(content).digest()).decode(),  # noqa: S324
            ObjectLockMode=self.object_lock_mode,
            ObjectLockRetainUntilDate=retain_until,
        )
        return name


class WriteOnceFileSystemStorage(FileSystemStorage):
    """OPTIONS as Django's FileSystemStorage. ``save_new`` publishes a file under its name
    only if no file has it: written to a temporary file in the same folder, then linked
    under the name (atomic, and never over an existing file), so a crash leaves no
    half-written artifact under an artifact's name."""

    def save_new(self, name: str, content: bytes) -> bool:
        """Store ``content`` as ``name``; False when ``name`` exists (it is left as is)."""
        path = self.path(name)
        # Named for this process and thread: two writers of the same artifact never share it.
        temporary = f"{path}.{os.getpid()}-{threading.get_ident()}.new"
        try:
            fh = open(temporary, "wb")  # noqa: SIM115 (closed below, after a retry)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fh = open(temporary, "wb")  # noqa: SIM115
        try:
            with fh:
                fh.write(content)
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True


def write_once(
    storage: Storage,
    name: str,
    content: bytes,
    *,
    content_type: str,
    retain_until: dt.datetime | None = None,
) -> None:
    """Store ``content`` as ``name`` unless a file of that name exists (it is left as is);
    with Object Lock, lock it until ``retain_until``."""
    if isinstance(storage, WriteOnceFileSystemStorage):
        storage.save_new(name, content)
        return
    if storage.exists(name):
        return
    if isinstance(storage, ObjectLockS3Storage) and retain_until is not None:
        storage.save_locked(name, content, content_type=content_type, retain_until=retain_until)
        return
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # pragma: no cover - a storage that renames would break addressing
        raise RuntimeError(f"archive storage renamed {name} to {saved}")
