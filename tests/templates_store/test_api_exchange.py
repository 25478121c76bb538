"""The export and import API (templates_store/api_exchange.py)."""

import io
import zipfile

import pytest

from templates_store.models import Communication, TemplateVersion
from tests.templates_store.studio_api import BASE, V1

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


class ExportImportApiTests:
    def test_export_then_import_gives_a_new_draft(self, designer_api, approved_v1, approver_api):
        approver_api.post(f"{V1}/publish", {}, format="json")
        export = designer_api.get(f"{BASE}/export")
        assert export.status_code == 200
        assert export["Content-Type"] == "application/zip"
        assert designer_api.get(f"{V1}/export").content == export.content

        response = designer_api.post(
            "/api/communication-imports", export.content, content_type="application/zip"
        )
        assert response.status_code == 201, response.data
        assert (response.data["number"], response.data["status"]) == (2, "draft")
        assert response.data["events"][-1]["action"] == "imported"
        assert Communication.objects.get(key="reminder").versions.get(number=1).status == (
            Status.PUBLISHED
        )

    def test_a_multipart_upload_works_and_problems_name_file_and_field(self, designer_api, draft):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("communication.yaml", "key: x\nname: X\ncategory: junk\n")
            archive.writestr("schema.json", "{}")
        buffer.seek(0)
        buffer.name = "x.zip"
        response = designer_api.post(
            "/api/communication-imports", {"file": buffer}, format="multipart"
        )
        assert response.status_code == 400
        fields = {(p["file"], p["field"]) for p in response.data["problems"]}
        assert ("communication.yaml", "category") in fields
        assert ("communication.yaml", "brand.name") in fields
        assert not Communication.objects.filter(key="x").exists()

    def test_an_approver_may_not_import_and_an_operator_may_not_export(
        self, approver_api, operator_api, draft
    ):
        assert (
            approver_api.post(
                "/api/communication-imports", b"PK", content_type="application/zip"
            ).status_code
            == 403
        )
        assert operator_api.get(f"{BASE}/export").status_code == 403
