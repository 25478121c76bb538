"""Reads of the archive, by what they read: the search (``search``), one entry and its
artifact (``entries``), the access log (``access_log``), the evidence around an entry
(``evidence``) and the seal chain (``integrity``)."""
