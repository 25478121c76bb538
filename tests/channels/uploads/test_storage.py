import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels.uploads.storage import upload_delete, upload_open, upload_store


class UploadStorageTests:
    def test_it_keeps_the_file_under_uploads_with_a_random_name(self):
        name = upload_store(
            file=ContentFile(b"email\n", name="../../etc/x.csv"), filename="../../etc/x.csv"
        )
        assert name.startswith("uploads/") and name.endswith(".csv") and ".." not in name
        with upload_open(name=name) as fh:
            assert fh.read() == b"email\n"
        upload_delete(name=name)
        assert not default_storage.exists(name)

    def test_it_refuses_to_open_anything_else(self):
        with pytest.raises(ValueError, match="not an upload"):
            upload_open(name="../settings.py")
