"""Export and import of a communication as plain files (templates_store.exchange and the
communication_export / communication_import commands)."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from templates_store import exchange, services
from templates_store.models import (
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
)
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


def _folder_files(path):
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _empty_database():
    ReviewEvent.objects.all().delete()
    TemplateVariant.objects.all().delete()
    TemplateVersion.objects.all().delete()
    Communication.objects.all().delete()
    Brand.objects.all().delete()


@pytest.fixture
def tricky(draft):
    """The draft with content that only survives a byte-exact round trip."""
    services.variant_save(
        version=draft,
        channel="sms",
        locale="en",
        body_text="Line one  \r\nLine two with trailing spaces   \n\n",
    )
    services.variant_save(
        version=draft,
        channel="email",
        locale="ja",
        subject="{{ amount|money('JPY') }}のお支払い",
        body_html="<p>{{ first_name }} 様</p>\n",
    )
    return draft


class RoundTripTests:
    def test_export_import_into_an_empty_database_export_gives_identical_files(
        self, tricky, designer, tmp_path
    ):
        first, second = tmp_path / "first", tmp_path / "second"
        call_command("communication_export", "reminder", str(first))
        exported = _folder_files(first)
        assert "communication.yaml" in exported and "schema.json" in exported
        assert exported["variants/sms.en.body_text.txt"] == (
            b"Line one  \r\nLine two with trailing spaces   \n\n"
        )
        assert "variants/email.ja.body_text.txt" not in exported  # empty fields are not written

        _empty_database()
        assert not Communication.objects.exists()
        call_command("communication_import", str(first), "--user", designer.username)
        call_command("communication_export", "reminder", str(second))
        assert _folder_files(second) == exported

        version = Communication.objects.get(key="reminder").versions.get()
        assert version.status == Status.DRAFT
        assert [e.action for e in version.events.all()] == [
            ReviewEvent.Action.CREATED,
            ReviewEvent.Action.IMPORTED,
        ]

    def test_a_zip_round_trips_and_is_the_same_bytes_each_time(self, tricky, designer, tmp_path):
        archive = tmp_path / "reminder.zip"
        call_command("communication_export", "reminder", str(archive))
        data = archive.read_bytes()
        assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0].startswith("reminder/")
        _empty_database()
        call_command("communication_import", str(archive), "--user", designer.username)
        call_command("communication_export", "reminder", str(archive))
        assert archive.read_bytes() == data

    def test_import_of_a_published_communication_makes_a_new_draft(
        self, draft, designer, approver, tmp_path
    ):
        services.version_submit(version=draft, actor=designer)
        services.version_approve(version=draft, actor=approver)
        services.version_publish(version=draft, actor=approver)
        call_command("communication_export", "reminder", str(tmp_path))
        sms = tmp_path / "variants" / "sms.en.body_text.txt"
        sms.write_text("Changed in git: {{ first_name }}", encoding="utf-8")
        (tmp_path / "variants" / "print.ja.subject.txt").unlink()
        (tmp_path / "variants" / "print.ja.body_html.html").unlink()

        call_command("communication_import", str(tmp_path), "--user", designer.username)
        draft.refresh_from_db()
        assert draft.status == Status.PUBLISHED
        assert draft.variants.get(channel="sms", locale="en").body_text != (
            "Changed in git: {{ first_name }}"
        )
        new = draft.communication.versions.get(number=2)
        assert new.status == Status.DRAFT
        assert new.variants.get(channel="sms", locale="en").body_text == (
            "Changed in git: {{ first_name }}"
        )
        assert not new.variants.filter(channel="print", locale="ja").exists()

    def test_export_into_the_same_folder_removes_files_of_deleted_variants(self, draft, tmp_path):
        (tmp_path / "README.md").write_text("kept")
        call_command("communication_export", "reminder", str(tmp_path))
        services.variant_delete(version=draft, channel="sms", locale="ja")
        call_command("communication_export", "reminder", str(tmp_path))
        assert not (tmp_path / "variants" / "sms.ja.body_text.txt").exists()
        assert (tmp_path / "README.md").read_text() == "kept"


def _files(draft):
    return exchange.communication_files(communication=draft.communication)


class ImportValidationTests:
    def _problems(self, files, actor):
        with pytest.raises(exchange.CommunicationFilesError) as err:
            exchange.communication_import(files=files, actor=actor)
        return {(p.file, p.field): p.reason for p in err.value.problems}

    def test_every_problem_names_its_file_and_field_and_nothing_is_written(self, draft, designer):
        files = _files(draft)
        files["communication.yaml"] = files["communication.yaml"].replace(
            b"category: transactional", b"category: junk\ncolour: red"
        )
        files["schema.json"] = json.dumps(
            {"type": "object", "properties": {"amount": {"type": "number"}}}
        ).encode()
        files["samples/default.json"] = b'{"amount": "lots"}'
        files["variants/sms.en.body_text.txt"] = b"Hi {{ first_name "
        files["variants/fax.en.body_text.txt"] = b"x"
        files["variants/sms.fr.body_text.txt"] = b"x"
        files["variants/sms.en.subject.txt"] = b"x"
        files["variants/email.en.body_html.txt"] = b"x"
        files["variants/email.en.body_text.txt"] = b"\xff\xfe"
        files["notes.txt"] = b"x"
        versions_before = TemplateVersion.objects.count()

        problems = self._problems(files, designer)

        assert "not a valid choice" in problems[("communication.yaml", "category")]
        assert problems[("communication.yaml", "colour")] == "Unknown field."
        assert "'lots' is not of type 'number'" in problems[("samples/default.json", "amount")]
        assert "line 1" in problems[("variants/sms.en.body_text.txt", "body_text")]
        assert "fax" in problems[("variants/fax.en.body_text.txt", "channel")]
        assert "fr" in problems[("variants/sms.fr.body_text.txt", "locale")]
        assert "no field 'subject'" in problems[("variants/sms.en.subject.txt", "field")]
        assert ".html" in problems[("variants/email.en.body_html.txt", "field")]
        assert "UTF-8" in problems[("variants/email.en.body_text.txt", "body_text")]
        assert problems[("notes.txt", "")] == "Unexpected file."
        assert TemplateVersion.objects.count() == versions_before

    def test_missing_files_and_broken_syntax_are_named(self, designer):
        problems = self._problems(
            {"communication.yaml": b"key: [unclosed\n", "samples/other.json": b"{}"}, designer
        )
        assert "Not valid YAML" in problems[("communication.yaml", "")]
        assert "line" in problems[("communication.yaml", "")]
        assert ("schema.json", "") in problems
        assert ("samples/other.json", "") in problems

    def test_an_invalid_json_schema_is_refused(self, draft, designer):
        files = _files(draft)
        files["schema.json"] = b'{"type": "nonsense"}'
        problems = self._problems(files, designer)
        assert "Not a valid JSON Schema" in problems[("schema.json", "type")]

    def test_a_new_brand_with_bad_details_is_named(self, draft, designer):
        files = _files(draft)
        files["communication.yaml"] = (
            files["communication.yaml"]
            .replace(b"name: Acme Energy", b"name: Other Brand")
            .replace(b"primary_color: '#1f4e79'", b"primary_color: blue")
        )
        problems = self._problems(files, designer)
        assert ("communication.yaml", "brand.primary_color") in problems

    def test_an_approver_may_not_import(self, draft):
        with pytest.raises(PermissionDenied):
            exchange.communication_import(
                files=_files(draft), actor=UserFactory(roles=["approver"])
            )

    def test_an_unsafe_zip_path_is_refused(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("../evil.txt", "x")
        with pytest.raises(exchange.CommunicationFilesError, match="Unsafe path"):
            exchange.files_from_zip(buffer.getvalue())

    def test_the_command_lists_the_problems(self, draft, designer, tmp_path, capsys):
        call_command("communication_export", "reminder", str(tmp_path))
        (tmp_path / "schema.json").write_text("{not json")
        with pytest.raises(CommandError, match="Nothing imported"):
            call_command("communication_import", str(tmp_path), "--user", designer.username)
        assert "schema.json: Not valid JSON" in capsys.readouterr().err


class BlockFilesTests:
    @pytest.fixture
    def with_block(self, draft, designer, approver):
        from templates_store import shared_services

        block = shared_services.block_create(
            brand=draft.communication.brand,
            key="legal",
            name="Legal notice",
            kind="legal",
            author=designer,
        )
        v1 = block.versions.get()
        for (channel, locale), body in {
            ("email", "en"): "<p class='legal'>Legal v1</p>\n",
            ("sms", "ja"): "法的事項",
        }.items():
            shared_services.block_content_save(
                version=v1, channel=channel, locale=locale, body=body
            )
        shared_services.shared_version_submit(version=v1, actor=designer)
        shared_services.shared_version_approve(version=v1, actor=approver)
        shared_services.shared_version_publish(version=v1, actor=approver)
        services.variant_save(
            version=draft,
            channel="email",
            locale="en",
            subject="Reminder",
            body_html='<p>Hi {{ first_name }}</p>{{ block("legal") }}',
        )
        return block

    def test_the_blocks_a_version_uses_travel_with_it(self, draft, designer, with_block, tmp_path):
        first, second = tmp_path / "first", tmp_path / "second"
        call_command("communication_export", "reminder", str(first))
        exported = _folder_files(first)
        assert b"name: Legal notice" in exported["blocks/legal.yaml"]
        assert exported["blocks/legal.email.en.html"] == b"<p class='legal'>Legal v1</p>\n"
        assert exported["blocks/legal.sms.ja.txt"] == "法的事項".encode()

        from templates_store.models import Block, BlockContent, BlockVersion

        ReviewEvent.objects.all().delete()
        from templates_store.models import SharedContentEvent

        SharedContentEvent.objects.all().delete()
        BlockContent.objects.all().delete()
        BlockVersion.objects.all().delete()
        Block.objects.all().delete()
        _empty_database()
        call_command("communication_import", str(first), "--user", designer.username)
        block = Block.objects.get(key="legal")
        assert block.versions.get().status == Status.DRAFT  # to be reviewed here
        call_command("communication_export", "reminder", str(second))
        assert _folder_files(second) == exported

    def test_a_changed_block_gets_a_new_draft_and_an_unchanged_one_nothing(
        self, draft, designer, with_block
    ):
        files = _files(draft)
        exchange.communication_import(files=files, actor=designer)
        assert with_block.versions.count() == 1
        files["blocks/legal.email.en.html"] = b"<p>Legal v2</p>"
        exchange.communication_import(files=files, actor=designer)
        latest = with_block.versions.order_by("-number").first()
        assert (latest.number, latest.status) == (2, Status.DRAFT)
        assert {(c.channel, c.locale): c.body for c in latest.contents.all()} == {
            ("email", "en"): "<p>Legal v2</p>",
            ("sms", "ja"): "法的事項",
        }
        assert with_block.versions.get(number=1).status == Status.PUBLISHED

    def test_block_problems_are_named(self, draft, designer, with_block):
        files = _files(draft)
        files["blocks/legal.yaml"] = b"name: Legal\nkind: poem\n"
        files["blocks/legal.sms.en.html"] = b"x"
        files["blocks/orphan.email.en.html"] = b"x"
        files["blocks/legal.email.ja.html"] = b"{% if %}"
        with pytest.raises(exchange.CommunicationFilesError) as err:
            exchange.communication_files_parse(files)
        problems = {(p.file, p.field) for p in err.value.problems}
        assert ("blocks/legal.yaml", "kind") in problems
        assert ("blocks/legal.sms.en.html", "") in problems
        assert ("blocks/orphan.email.en.html", "") in problems
        assert ("blocks/legal.email.ja.html", "body") in problems
