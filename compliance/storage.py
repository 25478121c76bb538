"""Archive storage on S3 with Object Lock: write once, keep until a date.

Each artifact is written with a retention date (its category's retention from now); S3
itself then refuses to delete or overwrite that object version before the date, whoever
asks. The bucket must have Object Lock enabled. Reads go through the ordinary
django-storages S3 storage.
"""

import base64
import datetime as dt
import hashlib
from typing import Any, Protocol

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
