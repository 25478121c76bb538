"""The shell examples of README.md and docs/api.md run against the demo, as written.

Every fenced ``sh``/``bash``/``console``/``http`` block, and every unlabelled block that
calls curl, runs with bash against a live server holding the demo data; the examples'
``http://127.0.0.1:8000`` is the live server's URL and ``manage.py`` uses the test
database. A block that must not run carries ``<!-- not run: reason -->`` on the line
before it; any other block must succeed.
"""

import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/api.md")
SHELL_LANGUAGES = {"sh", "bash", "console", "http"}
BASE_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    document: str
    line: int
    language: str
    code: str
    not_run: str | None

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES or (not self.language and "curl " in self.code)

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def blocks_of(document: str) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the marker of the line before it."""
    lines = (ROOT / document).read_text(encoding="utf-8").splitlines()
    blocks = []
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        if not opening:
            number += 1
            continue
        indent = len(opening["indent"])
        previous = next((line for line in reversed(lines[:number]) if line.strip()), "")
        marker = NOT_RUN.search(previous)
        body = []
        end = number + 1
        while end < len(lines) and lines[end].strip() != "```":
            body.append(lines[end][indent:])
            end += 1
        blocks.append(
            Block(
                document=document,
                line=number + 1,
                language=opening["lang"],
                code="\n".join(body) + "\n",
                not_run=marker["reason"] if marker else None,
            )
        )
        number = end + 1
    return blocks


SHELL_BLOCKS = [block for document in DOCUMENTS for block in blocks_of(document) if block.is_shell]


class ExtractionTests:
    def test_it_finds_the_examples_of_both_documents(self):
        assert {block.document for block in SHELL_BLOCKS} == set(DOCUMENTS)
        assert sum(block.not_run is None for block in SHELL_BLOCKS) >= 4

    def test_every_block_names_its_language(self):
        """An unlabelled block would escape the runner unless it calls curl: label it."""
        for document in DOCUMENTS:
            for block in blocks_of(document):
                assert block.language, f"{block}: name the block's language (sh, json, ...)"

    def test_every_json_block_is_json(self):
        for document in DOCUMENTS:
            for block in blocks_of(document):
                if block.language == "json":
                    json.loads(block.code)

    def test_every_marked_block_gives_its_reason(self):
        for block in SHELL_BLOCKS:
            if block.not_run is not None:
                assert len(block.not_run) > 10, f"{block}: say why it does not run"

    def test_every_curl_asks_to_fail_on_http_errors(self):
        for block in SHELL_BLOCKS:
            for call in re.findall(r"\bcurl\b[^\n]*", block.code):
                assert call.startswith("curl -fsS"), f"{block}: {call!r} needs -fsS"


def _environment(live_server_url: str) -> dict[str, str]:
    """The caller's environment, with .venv/bin first and manage.py on the test database."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "postgres", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "ccm.settings.test",
        "DATABASE_URL": f"postgres://{credentials}@{host}:{port}/{database['NAME']}",
    }


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples call curl")
def test_every_example_runs_against_the_demo(live_server, settings, tmp_path):
    """The blocks run in order in one bash session per document (a block may use what an
    earlier one set, e.g. ``$TOKEN``), from the repository root; the files they write
    there (new entries the examples name) are removed afterwards."""
    assert connection.vendor == "postgresql"
    settings.CCM_BASE_URL = live_server.url
    call_command("load_demo", stdout=io.StringIO())
    environment = _environment(live_server.url)
    before = set(ROOT.iterdir())
    try:
        for document in DOCUMENTS:
            script = ["set -euo pipefail"]
            for block in SHELL_BLOCKS:
                if block.document != document or block.not_run is not None:
                    continue
                script.append(f"echo '--- {block}' >&2")
                script.append(block.code.replace(BASE_URL, live_server.url))
            result = subprocess.run(
                ["bash", "-c", "\n".join(script)],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, (
                f"{document}: exit {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
    finally:
        examples = "".join(block.code for block in SHELL_BLOCKS)
        for path in set(ROOT.iterdir()) - before:
            if path.name not in examples:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
