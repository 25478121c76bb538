"""The files as a folder or a zip, both ways: {relative posix path: bytes} written to and
read from disk or an upload. A zip is checked (size, file count, unsafe paths) before
anything is unpacked."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

from templates_store.exchange.layout import (
    BLOCKS_DIR,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    SAMPLES_DIR,
    VARIANTS_DIR,
    CommunicationFilesError,
    FileProblem,
    is_layout_path,
)

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def files_to_zip(files: Mapping[str, bytes], *, folder: str = "") -> bytes:
    """A zip of ``files`` (under ``folder/`` when given) that is the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files.items()):
            info = zipfile.ZipInfo(f"{folder}/{path}" if folder else path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def files_to_folder(files: Mapping[str, bytes], folder: Path) -> None:
    """Write ``files`` under ``folder``; files of the layout that the export no longer has
    (a removed variant) are deleted, anything else in the folder (.git, README) is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files_from_folder(folder, strict=False):
        if is_layout_path(path) and path not in files:
            (folder / path).unlink()
    for path, content in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for sub in (SAMPLES_DIR, VARIANTS_DIR, BLOCKS_DIR):
        directory = folder / sub
        if directory.is_dir() and not any(directory.iterdir()):
            shutil.rmtree(directory)


def files_from_folder(folder: Path, *, strict: bool = True) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden files and folders such as .git skipped).
    Raises CommunicationFilesError when ``folder`` is not a folder (``strict``)."""
    if not folder.is_dir():
        if strict:
            raise CommunicationFilesError([FileProblem(str(folder), "", _("No such folder."))])
        return {}
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def files_from_zip(data: bytes) -> dict[str, bytes]:
    """The files of a zip; a single top folder holding everything is removed from the
    paths. Raises CommunicationFilesError for a damaged, unsafe or oversized zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CommunicationFilesError(
            [FileProblem("(zip)", "", _("Not a zip file: %(error)s") % {"error": exc})]
        ) from exc
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise CommunicationFilesError(
            [
                FileProblem(
                    "(zip)",
                    "",
                    _("Too large: at most %(files)s files and %(mb)s MB.")
                    % {"files": MAX_FILES, "mb": MAX_TOTAL_BYTES // (1024 * 1024)},
                )
            ]
        )
    files: dict[str, bytes] = {}
    problems = []
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts:
            problems.append(FileProblem(info.filename, "", _("Unsafe path in the zip.")))
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
            continue
        files[path.as_posix()] = archive.read(info)
    if problems:
        raise CommunicationFilesError(problems)
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) == 1 and all("/" in path for path in files):
        top = tops.pop()
        files = {path[len(top) + 1 :]: content for path, content in files.items()}
    return files
