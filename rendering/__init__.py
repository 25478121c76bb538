"""Rendering: templates, their sandbox, and the email, SMS and letter outputs.

The bottom layer of the platform: it knows nothing of the Django apps above it. What it needs
from them (shared blocks, brands) is passed in or looked up through the small interfaces in
this package that the studio provides.
"""
