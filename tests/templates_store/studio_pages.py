"""What the studio's page tests share: URLs, flash messages, PDF text, a catalogue reader and
the editor form as the browser posts it."""

import io
import json

from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from pypdf import PdfReader

from tests.factories.ccm import UserFactory


def url(name, *args):
    return reverse(f"templates_store:{name}", args=args)


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def catalogue_reader():
    """Someone who may see the catalogue but not template content (as an operator)."""
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="templates_store", codename="view_communication"
        )
    )
    return user


def editor_post(version, locale="en", **overrides):
    """The editor form as the browser posts it, from the version's saved content."""
    variants = {(v.channel, v.locale): v for v in version.variants.all()}
    data = {"locale": locale, "sample_data": json.dumps(version.sample_data)}
    for channel, fields in {
        "email": ("subject", "body_html", "body_text"),
        "sms": ("body_text",),
        "print": ("subject", "body_html"),
    }.items():
        variant = variants.get((channel, locale))
        for field in fields:
            data[f"{channel}-{field}"] = getattr(variant, field) if variant else ""
    data.update(overrides)
    return data
