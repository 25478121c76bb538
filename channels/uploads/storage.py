"""Uploaded files kept in the default storage between the preview and the confirmation."""

import datetime as dt
import uuid
from pathlib import PurePosixPath
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from channels.uploads.formats import EXTENSIONS

UPLOAD_DIR = "uploads"

# Files left behind by previews that were never confirmed are removed after this long.
UPLOAD_MAX_AGE = dt.timedelta(days=1)


def upload_store(*, file: File, filename: str) -> str:
    """Keep an uploaded file in the default storage under ``uploads/``, with a random name
    (the client's file name is never used as a path). Returns the storage name."""
    suffix = PurePosixPath(filename.lower()).suffix
    suffix = suffix if suffix in EXTENSIONS else ""
    return default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}{suffix}", file)


def upload_open(*, name: str) -> IO[bytes]:
    """Open a stored upload for reading. Raises ValueError for a name outside ``uploads/``."""
    if not name.startswith(f"{UPLOAD_DIR}/") or ".." in name:
        raise ValueError(f"not an upload: {name!r}")
    return default_storage.open(name, "rb")


def upload_delete(*, name: str) -> None:
    if name.startswith(f"{UPLOAD_DIR}/") and ".." not in name:
        default_storage.delete(name)


def uploads_purge_stale(*, max_age: dt.timedelta = UPLOAD_MAX_AGE) -> int:
    """Delete stored uploads older than ``max_age``; returns how many were deleted."""
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - max_age
    deleted = 0
    for filename in files:
        name = f"{UPLOAD_DIR}/{filename}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted
