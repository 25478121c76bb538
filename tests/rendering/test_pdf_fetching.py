"""A letter can fetch nothing but the platform's own assets: no file elsewhere on the
disk, no local or remote address, no cloud metadata, in any way HTML or CSS can ask."""

import socket

import pytest

from rendering.exceptions import RenderError
from rendering.pdf import ASSETS_DIR, render_pdf
from rendering.render import render_content
from tests.factories.templates_store import BrandFactory
from tests.recording_server import RecordingHandler, recording_server

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def local_server():
    with recording_server() as url:
        yield url


@pytest.fixture
def connections(monkeypatch):
    """Every outgoing connection the process attempts (none may happen)."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def recording_connect(self, address):
        attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    real_create_connection = socket.create_connection

    def recording_create_connection(address, *args, **kwargs):
        attempts.append(address)
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording_create_connection)
    RecordingHandler.hits.clear()
    return attempts


def _pdf(body_html: str) -> bytes:
    rendered = render_content(
        channel="print",
        locale="en",
        brand=BrandFactory(),
        subject="Letter",
        body_html=body_html,
        body_text="",
        data={},
    )
    return render_pdf(rendered)


HOSTILE = {
    "img_local_http": '<img src="{server}/img.png" alt="x">',
    "img_https_local": '<img src="https://127.0.0.1:1/img.png" alt="x">',
    "stylesheet_link": '<link rel="stylesheet" href="{server}/style.css">',
    "css_import": "<style>@import url('{server}/import.css');</style>",
    "css_url_background": "<div style=\"background: url('{server}/bg.png')\">x</div>",
    "css_font_face": "<style>@font-face {{ font-family: X; src: url('{server}/f.woff') }}"
    " p {{ font-family: X }}</style><p>x</p>",
    "link_attachment": '<link rel="attachment" href="{server}/secret.txt">',
    "anchor_attachment": '<a rel="attachment" href="{server}/secret.txt">x</a>',
    "object_data": '<object data="{server}/o.svg" type="image/svg+xml"></object>',
    "embed_src": '<embed src="{server}/e.svg" type="image/svg+xml">',
    "metadata_address": '<img src="http://169.254.169.254/latest/meta-data/" alt="x">',
    "metadata_css": "<style>@import url('http://169.254.169.254/latest/');</style>",
    "file_etc_passwd": '<img src="file:///etc/passwd" alt="x">',
    "file_attachment": '<link rel="attachment" href="file:///etc/passwd">',
    "file_traversal": '<img src="file://{assets}/../../settings/base.py" alt="x">',
    "file_traversal_encoded": '<img src="file://{assets}/%2e%2e/%2e%2e/manage.py" alt="x">',
    "relative_traversal": '<img src="../../../../../../etc/passwd" alt="x">',
    "svg_external_image": '<img alt="x" src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22'
    " xmlns:xlink=%22http://www.w3.org/1999/xlink%22><image xlink:href=%22{server}/svg.png%22"
    ' width=%2210%22 height=%2210%22/></svg>">',
    "ftp": '<img src="ftp://127.0.0.1/x.png" alt="x">',
}


@pytest.mark.parametrize("html", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_letter_fetches_nothing_outside_the_assets(html, local_server, connections):
    source = html.format(server=local_server, assets=ASSETS_DIR.as_posix())
    with pytest.raises(RenderError, match=r"not a platform asset|not allowed"):
        _pdf(source)
    assert RecordingHandler.hits == []
    assert connections == []


def test_the_platforms_assets_and_data_urls_are_served(connections):
    asset = next(p for p in sorted(ASSETS_DIR.rglob("*")) if p.is_file())
    pdf = _pdf(
        f'<img src="{asset.relative_to(ASSETS_DIR).as_posix()}" alt="asset">'
        '<img alt="dot" src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22'
        ' width=%221%22 height=%221%22/>">'
    )
    assert pdf.startswith(b"%PDF") and connections == []


def test_the_recording_server_does_record(local_server, connections):
    """The checks above would notice a request: the server and the socket hook see one."""
    import urllib.request

    connections.clear()
    with urllib.request.urlopen(f"{local_server}/probe", timeout=5) as response:
        assert response.status == 200
    assert RecordingHandler.hits == ["/probe"]
    assert connections
