import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from channels.management.commands import send_batch
from channels.models import Batch
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return UserFactory(roles=["operator"], username="ops")


class SendBatchCommandTests:
    def test_it_sends_a_csv_file_and_reports_rejected_rows(
        self, tmp_path, operator, django_capture_on_commit_callbacks
    ):
        version = published_version()
        path = tmp_path / "recipients.csv"
        path.write_text(
            "email,name,first_name,amount,due_date\n"
            "a@example.org,Ann,Ann,10,2026-12-15\n"
            "b@example.org,Bob,Bob,lots,2026-12-15\n",
            encoding="utf-8",
        )
        out, err = io.StringIO(), io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "send_batch",
                version.communication.key,
                str(path),
                "--user",
                "ops",
                "--no-wait",
                stdout=out,
                stderr=err,
            )
        batch = Batch.objects.get()
        assert batch.source == "cli"
        assert "2 rows, 1 accepted" in out.getvalue()
        assert "row 2, data.amount: 'lots' is not of type 'number'" in err.getvalue()
        assert len(mail.outbox) == 1
        batch.refresh_from_db()
        assert batch.status == "completed"

    def test_following_ends_with_the_counts(
        self, tmp_path, operator, django_capture_on_commit_callbacks
    ):
        version = published_version()
        path = tmp_path / "r.jsonl"
        path.write_text(
            '{"email": "a@example.org", "data": {"first_name": "A", "amount": 1, "due_date": "2026-12-15"}}\n'
        )
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "send_batch",
                version.communication.key,
                str(path),
                "--user",
                "ops",
                "--no-wait",
                stdout=io.StringIO(),
            )
        # Eager tasks ran on commit; following a finished batch reports its counts at once.
        batch = Batch.objects.get()
        send_batch.Command(stdout=out)._follow(batch, timeout=5)
        assert f"Batch {batch.pk} completed: 1 sent." in out.getvalue()

    def test_bad_input_is_named(self, tmp_path, operator):
        version = published_version()
        with pytest.raises(CommandError, match="not a user who may submit"):
            call_command(
                "send_batch", version.communication.key, str(tmp_path / "x.csv"), "--user", "nobody"
            )
        with pytest.raises(CommandError, match="No communication"):
            call_command("send_batch", "nope", str(tmp_path / "x.csv"), "--user", "ops")
        with pytest.raises(CommandError, match="No such file"):
            call_command(
                "send_batch", version.communication.key, str(tmp_path / "x.csv"), "--user", "ops"
            )
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"email": "a@example.org", "data": {}}\n{oops\n')
        with pytest.raises(CommandError, match="line 2"):
            call_command("send_batch", version.communication.key, str(bad), "--user", "ops")
        assert not Batch.objects.exists()
        with pytest.raises(CommandError, match="UTC offset"):
            call_command(
                "send_batch",
                version.communication.key,
                str(bad),
                "--user",
                "ops",
                "--send-at",
                "tomorrow",
            )
