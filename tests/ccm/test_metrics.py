import logging
import socket
import urllib.request
from datetime import timedelta
from unittest import mock

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ccm import metrics
from channels.models import Message
from channels.rate_limits import RateLimiter
from compliance.services import archive_record_create, archive_seal
from rendering.render import render
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


@pytest.fixture(autouse=True)
def _token(settings):
    settings.CCM_METRICS_TOKEN = TOKEN
    settings.CCM_METRICS_ALLOWED_IPS = []


def _archive_entry(version):
    return archive_record_create(
        content=b"text",
        content_type="text/plain",
        message=None,
        version=version,
        channel="sms",
        locale="en",
        recipient="+447700900001",
        recipient_name="",
        data={},
        is_test=False,
    )


class MetricsAccessTests:
    def test_without_token_or_allowed_address_it_is_forbidden(self, client, settings):
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        settings.CCM_METRICS_TOKEN = ""
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403

    def test_an_allowed_network_needs_no_token(self, client, settings):
        settings.CCM_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403


class MetricsContentTests:
    def test_messages_are_counted_by_state_and_channel(self, client):
        version = published_version()
        for channel, status in [("email", "sent"), ("email", "sent"), ("sms", "failed")]:
            Message.objects.create(
                version=version, channel=channel, locale="en", recipient="x", status=status
            )
        samples = _scrape(client)
        assert samples[("ccm_messages", (("channel", "email"), ("state", "sent")))] == 2
        assert samples[("ccm_messages", (("channel", "sms"), ("state", "failed")))] == 1
        assert samples[("ccm_messages", (("channel", "print"), ("state", "queued")))] == 0

    def test_seal_lag_is_the_age_of_the_oldest_unsealed_entry(self, client):
        version = published_version()
        assert _scrape(client)[("ccm_archive_seal_lag_seconds", ())] == 0
        entry = _archive_entry(version)
        ten_minutes_on = entry.created_at + timedelta(minutes=10)
        with mock.patch("compliance.gauges.timezone.now", return_value=ten_minutes_on):
            samples = _scrape(client)
        assert samples[("ccm_archive_seal_lag_seconds", ())] == 600
        assert samples[("ccm_archive_unsealed_entries", ())] == 1
        archive_seal(settle_seconds=0)
        samples = _scrape(client)
        assert samples[("ccm_archive_seal_lag_seconds", ())] == 0
        assert samples[("ccm_archive_unsealed_entries", ())] == 0

    def test_render_time_is_observed_per_channel(self, client):
        version = published_version()
        before = _scrape(client).get(("ccm_render_seconds_count", (("channel", "sms"),)), 0)
        render(version, "sms", "en", SAMPLE)
        render(version, "sms", "en", SAMPLE)
        after = _scrape(client)[("ccm_render_seconds_count", (("channel", "sms"),))]
        assert after == before + 2

    def test_rate_limit_waits_are_observed_per_key(self, client):
        key = ("ccm_rate_limit_wait_seconds_count", (("key", "sms:metrics-test"),))
        before = _scrape(client).get(key, 0)
        limiter = RateLimiter(None)
        limiter.wait("sms:metrics-test", 1000.0)
        limiter.wait("sms:metrics-test", 1000.0)
        limiter.wait("sms:metrics-test", None)  # unlimited: no wait to count
        assert _scrape(client)[key] == before + 2

    def test_a_broker_outage_leaves_out_queue_depth_but_not_the_rest(
        self, client, monkeypatch, caplog
    ):
        def down():
            raise ConnectionError("broker down")

        monkeypatch.setattr("ccm.broker.broker_queue_sizes", down)
        with caplog.at_level(logging.WARNING):
            samples = _scrape(client)
        assert not any(name == "ccm_celery_queue_length" for name, _ in samples)
        assert ("ccm_archive_seal_lag_seconds", ()) in samples
        assert "broker down" in caplog.text

    def test_queue_depth_is_read_per_queue(self, client, monkeypatch):
        monkeypatch.setattr(
            "ccm.broker.broker_queue_sizes", lambda: {"email": 3, "print": 0, "realtime": 1}
        )
        samples = _scrape(client)
        assert samples[("ccm_celery_queue_length", (("queue", "email"),))] == 3
        assert samples[("ccm_celery_queue_length", (("queue", "realtime"),))] == 1


class MultiprocessTests:
    def test_samples_of_every_process_in_the_folder_are_added_up(self, tmp_path, monkeypatch):
        import subprocess
        import sys

        script = (
            "from prometheus_client import Counter\n"
            "Counter('ccm_test_events', 'x', ['kind']).labels(kind='a').inc(3)\n"
        )
        env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
        for _ in range(2):
            subprocess.run([sys.executable, "-c", script], env=env, check=True)
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        samples = _samples(metrics.metrics_text().decode())
        assert samples[("ccm_test_events_total", (("kind", "a"),))] == 6
        assert ("ccm_archive_unsealed_entries", ()) in samples


class WorkerMetricsTests:
    def test_a_worker_serves_its_hosts_samples_on_the_configured_port(self, settings):
        port = _free_port()
        settings.CCM_WORKER_METRICS_PORT = port
        settings.CCM_WORKER_METRICS_ADDRESS = "127.0.0.1"
        metrics.RENDER_SECONDS.labels(channel="email").observe(0.01)
        servers = []
        real_start = metrics.start_http_server

        def start(*args, **kwargs):
            servers.append(real_start(*args, **kwargs))
            return servers[-1]

        with mock.patch.object(metrics, "start_http_server", start):
            metrics.worker_metrics_serve(sender=None)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                body = answer.read().decode()
        finally:
            for server, _thread in servers:
                server.shutdown()
        assert 'ccm_render_seconds_count{channel="email"}' in body
        assert "ccm_messages" not in body  # the database gauges are the web's job

    def test_without_a_port_no_server_starts(self, settings):
        settings.CCM_WORKER_METRICS_PORT = 0
        with mock.patch.object(metrics, "start_http_server") as start:
            metrics.worker_metrics_serve(sender=None)
        start.assert_not_called()
