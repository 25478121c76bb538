"""One client address for the whole platform (``ccm.client_address``): the peer itself
with no proxy in front, else the address the first of CCM_TRUSTED_PROXY_COUNT proxies
added to X-Forwarded-For; entries to the left of it are the client's own and ignored."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from rest_framework.request import Request

from ccm import metrics
from ccm.client_address import client_address
from ccm.throttling import ApiClientThrottle

NGINX = "127.0.0.1"
CLIENT = "192.0.2.50"


def _request(remote_addr: str = NGINX, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


class WithoutProxyTests:
    def test_the_address_is_the_peer_and_the_header_is_ignored(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 0
        assert client_address(_request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


class OneProxyTests:
    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 1

    def test_nginx_appending_to_a_forged_header_gives_the_address_nginx_saw(self):
        assert client_address(_request(forwarded=f"203.0.113.7, {CLIENT}")) == CLIENT
        assert client_address(_request(forwarded=f"203.0.113.7,10.0.0.1 ,  {CLIENT}")) == CLIENT

    def test_nginx_overwriting_the_header_gives_the_client(self):
        assert client_address(_request(forwarded=CLIENT)) == CLIENT

    def test_a_request_that_skipped_the_proxy_counts_under_its_peer(self):
        assert client_address(_request("198.51.100.7")) == "198.51.100.7"
        assert client_address(_request("198.51.100.7", "")) == "198.51.100.7"

    def test_ipv6_and_addresses_with_ports_are_normalised(self):
        assert client_address(_request(forwarded="2001:DB8::0:1")) == "2001:db8::1"
        assert client_address(_request(forwarded="[2001:db8::1]:4711")) == "2001:db8::1"
        assert client_address(_request(forwarded="192.0.2.50:4711")) == CLIENT
        assert client_address(_request(forwarded="::ffff:192.0.2.50")) == CLIENT

    @pytest.mark.parametrize("forwarded", ["unknown", "192.0.2.300", "203.0.113.7, not-an-ip"])
    def test_a_trusted_entry_that_is_no_address_is_unknown(self, forwarded):
        assert client_address(_request(forwarded=forwarded)) is None

    def test_a_forged_entry_that_is_no_address_changes_nothing(self):
        assert client_address(_request(forwarded=f"<script>, {CLIENT}")) == CLIENT

    def test_no_peer_address_is_unknown(self):
        assert client_address(_request("")) is None


class TwoProxiesTests:
    def test_the_load_balancer_and_nginx_are_stepped_over(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 2
        chain = f"203.0.113.7, {CLIENT}, 10.0.0.5"
        assert client_address(_request(forwarded=chain)) == CLIENT
        # A shorter chain than the proxies: the left-most address a trusted proxy wrote.
        assert client_address(_request(forwarded=CLIENT)) == CLIENT


class ConfigurationTests:
    def test_a_negative_count_names_the_setting(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = -1
        with pytest.raises(ImproperlyConfigured, match="CCM_TRUSTED_PROXY_COUNT"):
            client_address(_request())


class UsersOfTheAddressTests:
    """The API throttle and the metrics allowlist see the same address as the login."""

    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 1

    def test_the_api_throttle_counts_forged_addresses_under_the_real_one(self):
        throttle = ApiClientThrottle()
        idents = {
            throttle.get_ident(Request(_request(forwarded=f"203.0.113.{i}, {CLIENT}")))
            for i in range(5)
        }
        assert idents == {CLIENT}

    def test_the_metrics_allowlist_checks_the_client_behind_the_proxy(self, settings):
        settings.CCM_METRICS_TOKEN = ""
        settings.CCM_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
        assert metrics.metrics_access_allowed(_request(forwarded="10.1.2.3"))
        assert not metrics.metrics_access_allowed(_request(forwarded="10.1.2.3, 192.0.2.9"))
        assert not metrics.metrics_access_allowed(_request("10.0.0.2", forwarded="192.0.2.9"))


# A META key as a string, the header by name, or ipware.
READS_AN_ADDRESS = re.compile(
    r"[\"']REMOTE_ADDR[\"']|[\"']HTTP_X_FORWARDED_FOR[\"']|[\"']X-Forwarded-For[\"']"
    r"|^\s*(from|import) (python_)?ipware",
    re.IGNORECASE | re.MULTILINE,
)


class OneFunctionTests:
    def test_no_other_module_reads_the_peer_or_the_forwarded_header(self):
        root = Path(__file__).resolve().parents[2]
        readers = [
            str(path.relative_to(root))
            for app in ("ccm", "channels", "compliance", "customers", "insight", "templates_store")
            for path in (root / app).rglob("*.py")
            if re.search(READS_AN_ADDRESS, path.read_text())
        ]
        assert readers == ["ccm/client_address.py"]
