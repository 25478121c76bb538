"""A communication as plain files, to keep it in git and move it between environments.

Layout (a folder, or the same files in a zip, optionally under one top folder)::

    communication.yaml                      key, name, purpose, category, limits, brand
    schema.json                             the JSON Schema of the communication's data
    samples/default.json                    the sample data of previews and test sends
    variants/<channel>.<locale>.<field>.html|txt
                                            one file per template field: ``subject`` and
                                            ``body_text`` are .txt, ``body_html`` is .html
    blocks/<key>.yaml                       each shared block the content inserts: name,
                                            kind, description
    blocks/<key>.<channel>.<locale>.html|txt
                                            its text (.txt for SMS); the version pinned on
                                            a submitted version, else the published one,
                                            else the latest

``communication.json`` (the same mapping) may replace ``communication.yaml``. Exporting
writes JSON with sorted keys and template text byte for byte, so export → import → export
gives identical files. Importing validates every file first and names the file and field
of each problem; it then creates a new draft version (a published version is never
changed). A block unknown to the brand is created, a block whose text differs gets a new
draft block version; both need review before the communication can be submitted. See
docs/studio.md.

Modules, in the order of an import: ``layout`` (the names and the problem type),
``packing`` (folder and zip), ``parsing`` and ``parsing_templates`` (every file checked),
``importing`` (the new draft); an export is ``export`` then ``packing``.
"""

from templates_store.exchange.export import communication_files
from templates_store.exchange.importing import communication_import
from templates_store.exchange.layout import (
    CHANNEL_FIELDS,
    MAX_TOTAL_BYTES,
    CommunicationFilesError,
    FileProblem,
)
from templates_store.exchange.packing import (
    files_from_folder,
    files_from_zip,
    files_to_folder,
    files_to_zip,
)
from templates_store.exchange.parsing import communication_files_parse

__all__ = [
    "CHANNEL_FIELDS",
    "MAX_TOTAL_BYTES",
    "CommunicationFilesError",
    "FileProblem",
    "communication_files",
    "communication_files_parse",
    "communication_import",
    "files_from_folder",
    "files_from_zip",
    "files_to_folder",
    "files_to_zip",
]
