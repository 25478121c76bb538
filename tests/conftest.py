import pytest

from channels.backends.printing import locmem as print_locmem
from channels.backends.sms import locmem as sms_locmem


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    """Every test writes media, archive artifacts and print files under its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
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
