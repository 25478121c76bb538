import datetime as dt
import ipaddress
import os
import re
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured

from ccm import outbound
from tests.outbound_servers import FakeResolver, local_server

REFUSED_ADDRESSES = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "0.0.0.0": "unspecified",  # noqa: S104
    "::": "unspecified",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "100.64.0.1": "shared (carrier-grade NAT)",
    "240.0.0.1": "reserved",
    "::ffff:127.0.0.1": "loopback (IPv4-mapped)",
    "::ffff:169.254.169.254": "link-local (IPv4-mapped)",
    "::ffff:10.0.0.1": "private (IPv4-mapped)",
    "2002:7f00:1::": "loopback (embeds 127.0.0.1)",
    "64:ff9b::a00:1": "private (embeds 10.0.0.1)",
}


def refused(reason_part):
    return pytest.raises(outbound.OutboundRefused, match=re.escape(reason_part))


@pytest.fixture
def resolver(monkeypatch):
    return FakeResolver(monkeypatch)


@pytest.fixture(autouse=True)
def no_allowed_networks(settings):
    settings.CCM_OUTBOUND_ALLOWED_NETWORKS = []


class AddressPolicyTests:
    @pytest.mark.parametrize(("address", "kind"), REFUSED_ADDRESSES.items())
    def test_it_refuses_internal_addresses_with_their_kind(self, address, kind):
        reason = outbound.address_refusal(ipaddress.ip_address(address))
        assert reason is not None and reason.endswith(f"is {kind}")

    @pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"])
    def test_it_lets_public_addresses_through(self, address):
        assert outbound.address_refusal(ipaddress.ip_address(address)) is None

    def test_an_allowed_network_is_reached_on_any_port_or_only_on_its_port(self, settings):
        settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "127.0.0.1:8443", "[::1]:9000"]
        allowed = [("10.20.3.4", 80), ("127.0.0.1", 8443), ("::1", 9000), ("::ffff:10.20.0.9", 1)]
        for address, port in allowed:
            assert outbound.address_refusal(ipaddress.ip_address(address), port) is None
        for address, port in [("10.21.0.1", 80), ("127.0.0.1", 8444), ("::1", 9001)]:
            assert outbound.address_refusal(ipaddress.ip_address(address), port) is not None

    def test_the_unspecified_address_stays_refused_inside_an_allowed_network(self, settings):
        settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["0.0.0.0/0"]
        assert outbound.address_refusal(ipaddress.ip_address("10.0.0.1")) is None
        assert outbound.address_refusal(ipaddress.ip_address("0.0.0.0")) is not None  # noqa: S104

    @pytest.mark.parametrize("entry", ["10.0.0.1/8", "intranet", "10.0.0.1:http", "[::1]9000"])
    def test_a_bad_allowed_entry_names_the_setting_and_the_entry(self, settings, entry):
        settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [entry]
        with pytest.raises(ImproperlyConfigured, match="CCM_OUTBOUND_ALLOWED_NETWORKS") as info:
            outbound.address_refusal(ipaddress.ip_address("10.0.0.1"))
        assert repr(entry) in str(info.value)


class StartupTests:
    def test_a_bad_allowed_entry_stops_start_up_naming_the_setting(self):
        root = Path(__file__).resolve().parents[2]
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ccm.settings.test",
            "CCM_OUTBOUND_ALLOWED_NETWORKS": "10.0.0.0/8,intranet",
        }
        run = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode != 0
        assert "CCM_OUTBOUND_ALLOWED_NETWORKS: 'intranet' is not a network" in run.stderr


class CheckUrlTests:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://127.0.0.1:5432/", "address 127.0.0.1 is loopback"),
            ("http://127.0.0.1:6379/", "address 127.0.0.1 is loopback"),
            ("http://127.0.0.1:8300/metrics", "address 127.0.0.1 is loopback"),
            ("http://0.0.0.0:8000/", "address 0.0.0.0 is unspecified"),
            ("http://[::1]:8000/", "address ::1 is loopback"),
            ("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local"),
            ("http://[::ffff:127.0.0.1]/", "address ::ffff:127.0.0.1 is loopback (IPv4-mapped)"),
            ("http://2130706433/", "2130706433: address 127.0.0.1 is loopback"),
            ("http://localhost:5432/", "localhost: address 127.0.0.1 is loopback"),
        ],
    )
    def test_it_refuses_urls_of_internal_hosts_with_the_reason(self, url, reason):
        with pytest.raises(outbound.OutboundRefused) as info:
            outbound.check_url(url)
        assert info.value.reason == reason
        assert str(info.value) == f"refused: {reason}"

    @pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://h/"])
    def test_it_refuses_other_schemes(self, url):
        with refused("is not http or https"):
            outbound.check_url(url)

    @pytest.mark.parametrize(
        ("address", "kind"),
        [
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback (IPv4-mapped)"),
        ],
    )
    def test_a_public_looking_name_resolving_to_an_internal_address_is_refused(
        self, resolver, address, kind
    ):
        resolver.answer("hooks.example.com", [address])
        with pytest.raises(
            outbound.OutboundRefused,
            match=re.escape(f"hooks.example.com: address {address} is {kind}"),
        ):
            outbound.check_url("https://hooks.example.com/ccm")

    def test_one_internal_address_among_public_ones_is_enough_to_refuse(self, resolver):
        resolver.answer("hooks.example.com", ["93.184.215.14", "10.0.0.7", "2606:4700::1"])
        with refused("10.0.0.7 is private"):
            outbound.check_url("https://hooks.example.com/ccm")

    def test_a_name_resolving_to_public_addresses_passes(self, resolver):
        resolver.answer("hooks.example.com", ["93.184.215.14", "2606:4700::1"])
        outbound.check_url("https://hooks.example.com/ccm")

    def test_a_name_that_does_not_resolve_yet_passes_the_check(self):
        outbound.check_url("https://does-not-resolve.invalid/ccm")


class SessionTests:
    def test_a_real_server_on_127_0_0_1_is_not_reached(self):
        with local_server() as server, refused("127.0.0.1 is loopback"):
            outbound.session().get(server.url, timeout=5)
        assert server.received == []

    def test_a_name_resolving_to_a_real_local_server_is_not_reached(self, resolver):
        with local_server() as server:
            resolver.answer("hooks.example.com", ["127.0.0.1"])
            with refused("hooks.example.com: "):
                outbound.session().get(f"http://hooks.example.com:{server.port}/", timeout=5)
        assert server.received == []

    def test_a_server_in_an_allowed_network_is_reached(self, settings):
        with local_server() as server:
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{server.port}"]
            answer = outbound.session().get(server.url, timeout=5)
        assert answer.status_code == 200 and len(server.received) == 1

    def test_a_redirect_from_an_allowed_server_to_another_local_port_is_refused(self, settings):
        with local_server() as internal, local_server(status=302) as allowed:
            allowed.headers["location"] = internal.url
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{allowed.port}"]
            with refused("127.0.0.1 is loopback"):
                outbound.session().get(allowed.url, timeout=5)
        assert len(allowed.received) == 1 and internal.received == []

    def test_a_redirect_to_another_loopback_address_is_refused(self, settings):
        with local_server(host="127.0.0.2") as internal, local_server(status=307) as allowed:
            allowed.headers["location"] = internal.url
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
            with refused("127.0.0.2 is loopback"):
                outbound.session().post(allowed.url, data=b"{}", timeout=5)
        assert internal.received == []

    def test_a_redirect_to_another_scheme_is_not_followed(self, settings):
        with local_server(status=302, headers={"location": "file:///etc/passwd"}) as allowed:
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
            with pytest.raises(requests.exceptions.InvalidSchema):
                outbound.session().get(allowed.url, timeout=5)

    def test_the_socket_connects_to_the_address_checked_by_the_one_lookup(self, settings, resolver):
        """A rebinding resolver answers an allowed address first, then an internal one:
        the connection goes where the first, checked answer said."""
        with local_server() as server:
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{server.port}"]
            resolver.answer("hooks.example.com", ["127.0.0.1"], ["10.0.0.9"], ["10.0.0.9"])
            answer = outbound.session().get(f"http://hooks.example.com:{server.port}/x")
        assert answer.status_code == 200 and resolver.lookups == ["hooks.example.com"]
        assert server.received[0][1]["Host"] == f"hooks.example.com:{server.port}"

    def test_each_new_connection_checks_the_name_again(self, settings, resolver):
        with local_server() as server:
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{server.port}"]
            resolver.answer("hooks.example.com", ["127.0.0.1"], ["169.254.169.254"])
            url = f"http://hooks.example.com:{server.port}/x"
            assert outbound.session().get(url).status_code == 200
            with refused("169.254.169.254 is link-local"):
                outbound.session().get(url)
        assert len(server.received) == 1

    def test_proxy_settings_from_the_environment_are_ignored(self, monkeypatch):
        monkeypatch.setenv("HTTP_PROXY", "http://93.184.215.14:3128")
        with local_server() as server, refused("127.0.0.1 is loopback"):
            outbound.session().get(server.url, timeout=5)

    def test_tls_keeps_the_original_name_for_sni_the_certificate_and_host(
        self, settings, resolver, tmp_path
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example.com")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example.com")]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256())
        )
        cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        seen: dict[str, str | None] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen["host"] = self.headers["host"]
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.sni_callback = lambda sock, server_name, ctx: seen.update(sni=server_name)
        server = HTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_port
            settings.CCM_OUTBOUND_ALLOWED_NETWORKS = [f"127.0.0.1:{port}"]
            resolver.answer("hooks.example.com", ["127.0.0.1"])
            answer = outbound.session().get(
                f"https://hooks.example.com:{port}/", verify=str(cert_file), timeout=5
            )
        finally:
            server.shutdown()
            server.server_close()
        assert answer.status_code == 204
        assert seen == {"sni": "hooks.example.com", "host": f"hooks.example.com:{port}"}
