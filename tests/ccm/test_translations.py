"""The Japanese catalog is complete, compiled, and used by the pages."""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from ccm.context_processors import NAVIGATION
from tests.factories.ccm import UserFactory

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_FILE = LOCALE_DIR / "ja" / "LC_MESSAGES" / "django.po"
KEYWORDS = ("msgctxt", "msgid_plural", "msgid", "msgstr")


def _po_entries() -> list[dict[str, str]]:
    """The .po file as a list of {keyword: text}, plus "flags" (the "#," comment)."""
    entries: list[dict[str, str]] = []
    for block in PO_FILE.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, str] = {"flags": ""}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line[2:]
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
            elif line:
                key, _, text = line.partition(" ")
                assert key.split("[")[0] in KEYWORDS, f"unexpected line in {PO_FILE}: {line}"
                entry[key] = ast.literal_eval(text)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _catalog() -> gettext.GNUTranslations:
    return gettext.translation("django", localedir=LOCALE_DIR, languages=["ja"])


class CatalogTests:
    def test_it_has_the_japanese_header(self):
        header = next(e for e in _po_entries() if e["msgid"] == "")
        assert "Language: ja\n" in header["msgstr"]
        assert "charset=UTF-8" in header["msgstr"]
        assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"]

    def test_it_has_no_untranslated_or_fuzzy_message(self):
        messages = [e for e in _po_entries() if e["msgid"]]
        assert len(messages) > 300
        untranslated = [e["msgid"] for e in messages if not e.get("msgstr", e.get("msgstr[0]", ""))]
        fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
        assert untranslated == []
        assert fuzzy == []

    def test_it_keeps_every_placeholder(self):
        placeholder = re.compile(r"%\(\w+\)[sdr]|%[sd]")
        for e in _po_entries():
            if not e["msgid"]:
                continue
            translated = e.get("msgstr", e.get("msgstr[0]", ""))
            expected = set(placeholder.findall(e["msgid"] + e.get("msgid_plural", "")))
            assert set(placeholder.findall(translated)) == expected, e["msgid"]

    def test_the_compiled_catalog_matches_the_po_file(self):
        catalog = _catalog()
        for e in _po_entries():
            if not e["msgid"]:
                continue
            if "msgid_plural" in e:
                assert catalog.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr[0]"]
            elif "msgctxt" in e:  # the same words, translated for where they stand
                assert catalog.pgettext(e["msgctxt"], e["msgid"]) == e["msgstr"], e["msgid"]
            else:
                assert catalog.gettext(e["msgid"]) == e["msgstr"], e["msgid"]

    @pytest.mark.parametrize(
        ("english", "japanese"),
        [
            ("Communications", "コミュニケーション"),
            ("Batches", "バッチ"),
            ("Archive", "アーカイブ"),
            ("Draft", "下書き"),
            ("In review", "レビュー中"),
            ("Published", "公開中"),
            ("Retired", "廃止"),
            ("Submit for review", "レビューに提出"),
            ("Approve", "承認"),
            ("Reject", "差し戻し"),
            ("Log in", "ログイン"),
            ("Log out", "ログアウト"),
            ("Test send", "テスト送信"),
            ("Customer", "顧客"),
            ("Consent", "同意"),
            ("Print letter", "印刷レター"),
            ("Access log", "アクセスログ"),
            ("Legal hold", "リーガルホールド"),
        ],
    )
    def test_it_translates_the_key_terms(self, english, japanese):
        assert _catalog().gettext(english) == japanese

    def test_plural_messages_use_the_single_japanese_form(self):
        text = _catalog().ngettext("%(total)s communication", "%(total)s communications", 5)
        assert text % {"total": 5} == "5 件のコミュニケーション"


def _nav(html: str) -> str:
    match = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert match, "the page has no main navigation"
    return match.group(0)


@pytest.mark.django_db
class JapanesePagesTests:
    @pytest.fixture
    def english_labels(self) -> list[str]:
        with translation.override("en"):
            return [str(label) for label, _, _ in NAVIGATION] + ["Mailbox", "Log out"]

    @pytest.mark.parametrize(
        ("role", "path", "heading", "nav_labels"),
        [
            ("designer", "/communications/", "コミュニケーション", ["コミュニケーション"]),
            ("operator", "/batches/", "バッチ", ["コミュニケーション", "バッチ", "顧客"]),
            (
                "compliance_officer",
                "/archive/",
                "アーカイブ",
                ["コミュニケーション", "バッチ", "顧客", "アーカイブ"],
            ),
        ],
    )
    def test_it_shows_the_page_in_japanese_when_the_language_cookie_says_so(
        self, client, english_labels, role, path, heading, nav_labels
    ):
        client.force_login(UserFactory(roles=[role]))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"

        response = client.get(path)

        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="ja">' in html
        assert f"<h1>{heading}</h1>" in html
        assert "ログアウト" in html
        nav = _nav(html)
        for label in nav_labels:
            assert f">{label}</a>" in nav
        shown = re.findall(r">([^<>]+)</a>", nav)
        assert [label for label in shown if label in english_labels] == []
        assert not re.search(r"[A-Za-z]{3,}", "".join(shown))

    def test_without_the_cookie_the_same_page_stays_in_english(self, client):
        client.force_login(UserFactory(roles=["designer"]))

        html = client.get("/communications/").content.decode()

        assert '<html lang="en">' in html
        assert ">Communications</a>" in _nav(html)


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


APPS = (
    "ccm",
    "channels",
    "compliance",
    "customers",
    "demo",
    "insight",
    "rendering",
    "templates_store",
)


def test_every_message_of_the_code_is_in_the_catalog(tmp_path):
    """makemessages over a copy of the code leaves no new, untranslated or fuzzy entry:
    a message added to the code without its Japanese fails here, not in front of a user."""
    repo = Path(settings.BASE_DIR)
    tracked = subprocess.run(
        ["git", "ls-files", "manage.py", *APPS],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / name, target)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--no-location"],
        cwd=tmp_path,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ccm.settings.test"},
        capture_output=True,
        check=True,
    )
    extracted = tmp_path / PO_FILE.relative_to(repo)
    with extracted.open("rb") as po:
        catalog = read_po(po)
    missing = [
        message.id
        for message in catalog
        if message.id and (message.fuzzy or not all(_strings(message.string)))
    ]
    assert not missing, "Translate these into ccm/locale/ja (make messages): " + "; ".join(
        str(m) for m in missing
    )
