"""The download and import of communication files in the UI
(templates_store/exchange_views.py)."""

import io
import zipfile

import pytest

from templates_store.models import Communication, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.templates_store.studio_pages import url

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


class FilesViewTests:
    def test_download_then_import_makes_a_new_draft(self, client, designer, draft):
        client.force_login(designer)
        page = client.get(url("communication_detail", draft.communication_id)).content.decode()
        assert url("communication_export", draft.communication_id) in page
        response = client.get(url("communication_export", draft.communication_id))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="reminder.zip"'
        upload = io.BytesIO(response.content)
        upload.name = "reminder.zip"
        response = client.post(url("communication_import"), {"file": upload})
        version = draft.communication.versions.get(number=2)
        assert response["Location"] == url("version_detail", version.pk)
        assert version.status == Status.DRAFT
        assert version.compute_content_hash() == draft.compute_content_hash()

    def test_problems_are_listed_by_file_and_field(self, client, designer):
        client.force_login(designer)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("communication.yaml", "key: new-one\nname: N\ncategory: nope\n")
        buffer.seek(0)
        buffer.name = "bad.zip"
        response = client.post(url("communication_import"), {"file": buffer})
        assert response.status_code == 400
        problems = {(p.file, p.field) for p in response.context["problems"]}
        assert ("communication.yaml", "category") in problems
        assert ("schema.json", "") in problems
        assert 'id="import-problems"' in response.content.decode()
        assert not Communication.objects.filter(key="new-one").exists()

    def test_roles(self, client, draft):
        client.force_login(UserFactory(roles=["approver"]))
        assert client.get(url("communication_import")).status_code == 403
        assert client.get(url("communication_export", draft.communication_id)).status_code == 200
        client.force_login(UserFactory(roles=["operator"]))
        assert client.get(url("communication_export", draft.communication_id)).status_code == 403
