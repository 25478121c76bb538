"""Content-Security-Policy, no inline script anywhere, and the deployment checklist."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories.ccm import UserFactory

ROOT = Path(__file__).resolve().parents[2]
# Django templates of the UI (rendering/jinja holds message templates, shown only in
# sandboxed frames with scripts off).
UI_TEMPLATES = [
    p
    for app in ("ccm", "channels", "compliance", "customers", "templates_store", "insight")
    for p in (ROOT / app).glob("templates/**/*.html")
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [d.strip().split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.django_db
class ContentSecurityPolicyTests:
    def test_pages_allow_scripts_from_our_own_static_files_only(self, client):
        client.force_login(UserFactory(roles=["operator"]))
        for path in (reverse("login"), reverse("home"), reverse("channels:batch_list")):
            policy = _policy(client.get(path))
            assert policy["script-src"] == ["'self'"], path
            assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
            assert policy["frame-ancestors"] == ["'self'"] and policy["form-action"] == ["'self'"]
            assert policy["default-src"] == ["'self'"]

    def test_htmx_may_not_evaluate_code(self, client):
        html = client.get(reverse("login")).content.decode()
        assert '"allowEval": false' in html and '"allowScriptTags": false' in html


def test_the_templates_hold_no_inline_script_or_event_handler():
    assert len(UI_TEMPLATES) > 30
    offenders = []
    for path in UI_TEMPLATES:
        text = path.read_text()
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], "move these scripts to static files: " + ", ".join(offenders)


def test_the_scan_finds_inline_scripts_and_handlers():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert EVENT_HANDLER.search('<select onchange="this.form.submit()">')


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    # The browser tests of the same run allow sync database calls in async code; a
    # deployment never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "ccm.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-deploy-check-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": "ccm.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        "CCM_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every check passes, the API schema's included (no operationId collisions).
    issues = set(re.findall(r"\((\w+\.[WEC]\d+)\)", output))
    assert issues == set(), output
    assert "System check identified no issues" in output, output
    assert "security." not in output


def test_production_cookies_and_headers(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    import importlib

    import ccm.settings.production as production

    importlib.reload(production)
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_COOKIE_HTTPONLY and production.CSRF_COOKIE_HTTPONLY
    assert production.SECURE_HSTS_SECONDS >= 31_536_000 and production.SECURE_SSL_REDIRECT
    assert production.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"]


def test_files_such_as_pdf_letters_carry_no_page_policy(rf):
    from django.http import HttpResponse

    from ccm.csp import HtmlCSPMiddleware

    middleware = HtmlCSPMiddleware(lambda request: HttpResponse())
    pdf = middleware.process_response(
        rf.get("/"), HttpResponse(b"%PDF", content_type="application/pdf")
    )
    page = middleware.process_response(rf.get("/"), HttpResponse(b"<p>", content_type="text/html"))
    assert "Content-Security-Policy" not in pdf
    assert "script-src 'self'" in page["Content-Security-Policy"]
