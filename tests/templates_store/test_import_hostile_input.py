"""Hostile communication imports: YAML alias bombs, oversized or deeply nested YAML,
JSON nested too deep. Each is refused within a second naming the file and the reason."""

import io
import time
import zipfile

import pytest
from rest_framework.test import APIClient

from templates_store import exchange
from templates_store.models import TemplateVersion

pytestmark = pytest.mark.django_db

# "Billion laughs": nine levels of nine aliases each, 9**9 (387 million) strings.
ALIAS_BOMB = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        b"%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n"
        % ((bytes([c]),) * 2 + (bytes([c - 1]),) * 9)
        for c in range(ord("b"), ord("j"))
    )
    + b"key: bomb\nname: *i\ncategory: transactional\nbrand: {name: Acme}\n"
)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _problems(files, actor) -> dict[tuple[str, str], str]:
    with pytest.raises(exchange.CommunicationFilesError) as err:
        exchange.communication_import(files=files, actor=actor)
    return {(p.file, p.field): p.reason for p in err.value.problems}


@pytest.fixture
def files(draft):
    return exchange.communication_files(communication=draft.communication)


class YamlAliasBombTests:
    def test_the_bomb_is_small(self):
        assert len(ALIAS_BOMB) < 2048

    def test_an_alias_bomb_is_refused_within_a_second_through_the_api(self, files, designer):
        files["communication.yaml"] = ALIAS_BOMB
        client = APIClient()
        client.force_authenticate(designer)
        versions_before = TemplateVersion.objects.count()
        # The first request of a test process loads the URL conf and the views: not timed.
        client.post("/api/communication-imports", b"", content_type="application/zip")
        started = time.monotonic()
        response = client.post(
            "/api/communication-imports", _zip(files), content_type="application/zip"
        )
        assert time.monotonic() - started < 1
        assert response.status_code == 400
        reasons = {(p["file"], p["field"]): p["reason"] for p in response.json()["problems"]}
        reason = reasons[("communication.yaml", "")]
        assert "aliases (*a) are not accepted" in reason
        assert "line 2" in reason
        assert TemplateVersion.objects.count() == versions_before

    def test_a_single_alias_is_refused_too_in_a_block_file(self, files, designer):
        files["blocks/footer.yaml"] = b"name: &n Footer\nkind: footer\ndescription: *n\n"
        problems = _problems(files, designer)
        assert "aliases (*n) are not accepted" in problems[("blocks/footer.yaml", "")]

    def test_yaml_nested_too_deep_or_too_large_is_refused(self, files, designer):
        files["communication.yaml"] = b"key: " + b"[" * 5000 + b"]" * 5000 + b"\n"
        problems = _problems(files, designer)
        assert "nested deeper than 20 levels" in problems[("communication.yaml", "")]
        files["communication.yaml"] = b"key: x\nname: " + b"y" * 300_000 + b"\n"
        problems = _problems(files, designer)
        assert "at most 262144 are accepted" in problems[("communication.yaml", "")]

    def test_python_tags_are_not_constructed(self, files, designer):
        files["communication.yaml"] = b"key: !!python/object/apply:os.system ['true']\n"
        problems = _problems(files, designer)
        assert "Not valid YAML" in problems[("communication.yaml", "")]

    def test_ordinary_yaml_still_imports(self, files, designer):
        version = exchange.communication_import(files=files, actor=designer)
        assert version.status == TemplateVersion.Status.DRAFT


class ImportJsonDepthTests:
    @pytest.mark.parametrize("depth", [900, 100_000])
    def test_json_files_nested_too_deep_are_refused(self, files, designer, depth):
        files["samples/default.json"] = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
        problems = _problems(files, designer)
        assert "nested deeper than 100 levels" in problems[("samples/default.json", "")]
