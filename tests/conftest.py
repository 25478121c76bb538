import pytest

from channels.backends.printing import locmem as print_locmem
from channels.backends.sms import locmem as sms_locmem
from tests.email_checks import email_check


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    """Every test writes media, archive artifacts and print files under its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "compliance.storage.WriteOnceFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "archive")},
        },
        "print": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "print")},
        },
    }
    sms_locmem.outbox.clear()
    print_locmem.outbox.clear()
    yield
    sms_locmem.outbox.clear()
    print_locmem.outbox.clear()


@pytest.fixture(autouse=True)
def _emails_parse_back():
    """Every email a test sent is parsed back from its bytes and checked."""
    yield
    from django.core import mail

    for message in getattr(mail, "outbox", []):
        email_check(message)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the session, end connections that browser tests' live servers left open
    (they belong to other threads and contexts), so the test database can be dropped."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection, connections

        connections.close_all()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            connection.close()
