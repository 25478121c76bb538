"""Recipient files: CSV, JSON (an array of row objects) or JSON Lines, read lazily into
batch rows (``reading.upload_rows``), kept between the web UI's preview and its
confirmation (``storage``), and previewed (``preview``).

A CSV file is read as UTF-8 (with or without BOM); another encoding only when the sender
declares it (``encoding``) or when charset-normalizer finds CP932, as Japanese Excel
writes it; any other file that is not UTF-8 is refused naming the first bad byte
(``encodings``). Rows are produced one at a time, so a file of a million recipients is
never held in memory; ``batch_create`` consumes them as a stream.
"""
