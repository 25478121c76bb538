"""The demo's shared content: a published theme and header, footer and legal blocks that
the demo communications insert, pinned on their published versions, and exported with them."""

import io

import pytest
from django.core.management import call_command

from demo.loading import demo_load
from rendering.render import render
from templates_store.exchange import communication_files
from templates_store.models import Block, TemplateVersion
from templates_store.shared_selectors import block_where_used

pytestmark = pytest.mark.django_db


def test_the_demo_communications_use_the_published_blocks_and_theme_and_export_them(tmp_path):
    demo_load(customer_count=20, batch_size=5)
    published = TemplateVersion.objects.filter(status="published").select_related(
        "communication__brand"
    )
    assert published.count() == 3
    for version in published:
        assert set(version.block_pins) >= {"legal"}, version.communication.key
        assert version.theme_pin["number"] == 1
        assert version.compute_content_hash() == version.content_hash
        email = render(version, "email", "en", version.sample_data)
        assert dict(email.blocks) == {"header": 1, "footer": 1, "legal": 1}
        assert email.pinned and email.theme_version == 1
        assert "Energy Ombudsman" in email.html and "Energy Ombudsman" in email.text

    legal = Block.objects.get(key="legal")
    users = {use.communication.key for use in block_where_used(block=legal)}
    assert users == {"payment-reminder", "annual-statement", "appointment-reminder"}

    for version in published:
        files = communication_files(communication=version.communication)
        assert "blocks/legal.yaml" in files
        assert "Energy Ombudsman" in files["blocks/legal.email.en.html"].decode()
        call_command(
            "communication_export",
            version.communication.key,
            str(tmp_path / version.communication.key),
            stdout=io.StringIO(),
        )
        assert (tmp_path / version.communication.key / "blocks" / "legal.yaml").exists()
