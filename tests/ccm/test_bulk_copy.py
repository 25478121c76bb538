import pytest
from django.db import IntegrityError, connection, transaction

from ccm.bulk_copy import instances_copy
from channels.models import Message
from tests.factories.templates_store import published_version

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


def _message(version, n: int, **fields) -> Message:
    return Message(
        version=version,
        channel="sms",
        locale="ja",
        recipient=f"+4479110000{n:02d}",
        recipient_name=f"山田 {n}",
        data={"amount": n, "note": "tab\tnewline\nbackslash\\"},
        **fields,
    )


class InstancesCopyTests:
    def test_rows_are_written_as_bulk_create_writes_them(self):
        version = published_version()
        copied = [_message(version, n) for n in range(3)]
        created = Message.objects.bulk_create([_message(version, n) for n in range(3)])
        instances_copy(copied)
        assert all(m.pk and not m._state.adding for m in copied)
        assert len({m.pk for m in copied + created}) == 6
        columns = [f.attname for f in Message._meta.concrete_fields if f.attname != "id"]
        for by_copy, by_insert in zip(copied, created, strict=True):
            stored = Message.objects.filter(pk=by_copy.pk).values(*columns).get()
            expected = Message.objects.filter(pk=by_insert.pk).values(*columns).get()
            times = ("created_at", "updated_at")
            assert {k: v for k, v in stored.items() if k not in times} == {
                k: v for k, v in expected.items() if k not in times
            }
            assert stored["created_at"] is not None and stored["updated_at"] is not None

    def test_a_broken_reference_fails_like_an_insert(self):
        version = published_version()
        with pytest.raises(IntegrityError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django defers its FKs
            instances_copy([_message(version, 1, batch_id=999_999)])
