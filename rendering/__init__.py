"""Rendering: templates, their sandbox, and the email, SMS and letter outputs.

The bottom layer of the platform: it knows nothing of the Django apps above it. What it
reads from their objects is written down as protocols (``rendering.sources``), and the
shared blocks and themes it inserts are looked up through ``rendering.blocks``'
``SharedContentLookup``, which the studio sets when it starts. ``rendering.render`` is
the one render path.
"""
