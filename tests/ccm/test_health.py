from unittest import mock

import pytest
from django.db import OperationalError

from ccm import health

pytestmark = pytest.mark.django_db


class HealthzTests:
    def test_liveness_answers_without_login_and_checks_nothing(self, client):
        with mock.patch.object(health, "database_check", side_effect=OperationalError("down")):
            response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class ReadyzTests:
    def test_it_is_ready_when_database_broker_and_archive_storage_answer(self, client, settings):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"] == {"database": "ok", "broker": "ok", "archive_storage": "ok"}

    def test_it_answers_503_naming_the_failing_part_and_logs_the_error(self, client, caplog):
        checks = {**health.CHECKS, "broker": mock.Mock(side_effect=ConnectionError("refused"))}
        with mock.patch.dict(health.CHECKS, checks):
            response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["broker"]
        assert body["checks"]["broker"] == "failing"
        assert body["checks"]["database"] == "ok"
        assert "refused" not in response.content.decode()
        assert "broker: ConnectionError: refused" in caplog.text

    def test_an_archive_folder_that_cannot_be_made_is_not_ready(self, client, settings, tmp_path):
        not_a_folder = tmp_path / "mount"
        not_a_folder.write_text("a file where the archive volume should be")
        settings.STORAGES = {
            **settings.STORAGES,
            "archive": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(not_a_folder / "archive")},
            },
        }
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failing"] == ["archive_storage"]

    def test_an_unreachable_broker_is_not_ready(self, client, settings):
        from ccm.celery import app

        previous = app.conf.broker_url, app.conf.task_always_eager
        app.conf.broker_url = "redis://127.0.0.1:1/0"
        app.conf.task_always_eager = False
        app._pool = None
        try:
            response = client.get("/readyz")
        finally:
            app.conf.broker_url, app.conf.task_always_eager = previous
            app._pool = None
        assert response.status_code == 503
        assert response.json()["failing"] == ["broker"]
