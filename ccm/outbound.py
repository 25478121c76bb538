"""The outbound request policy: where the platform's own HTTP calls may go.

A URL that a user gives (a webhook endpoint) must not reach the platform's own network:
the database, Redis, the metrics port, a cloud metadata service. ``check_url`` is the
check when the URL is given; ``session()`` is a ``requests.Session`` that applies the
same policy when it connects, to every address the host name resolves to, on every
connection it opens (so also on every redirect it follows).

Refused: loopback, private (RFC 1918, ULA ``fc00::/7``), link-local (``169.254.0.0/16``
with the ``169.254.169.254`` metadata service, ``fe80::/10``), multicast, unspecified
(``0.0.0.0``, ``::``), reserved, shared (``100.64.0.0/10``) and every other address that
is not public, also in IPv4-mapped, NAT64, 6to4 and Teredo IPv6 forms; schemes other
than http and https. An operator may allow named internal networks with
``CCM_OUTBOUND_ALLOWED_NETWORKS`` (``10.20.0.0/16``, ``192.0.2.7:8443``, ``[fd00::/8]:443``).

The socket connects to the address that was checked (no second look-up that DNS
rebinding could answer differently); TLS SNI, certificate verification and the Host
header keep the original name. The session ignores proxy environment variables.

This module is the lowest layer: it imports no app of the project.
"""

import ipaddress
import socket
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager

SETTING = "CCM_OUTBOUND_ALLOWED_NETWORKS"
SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# The well-known NAT64 prefix (RFC 6052): a gateway translates it to the IPv4 address
# in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The policy refuses this URL or address; ``reason`` is short and safe to show
    (``"address 127.0.0.1 is loopback"``). Not a ``requests`` exception on purpose:
    it passes through urllib3 and requests unchanged, never retried as a network error."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class AllowedNetwork:
    network: IPNetwork
    port: int | None

    def allows(self, address: IPAddress, port: int | None) -> bool:
        return address in self.network and (self.port is None or self.port == port)


def _parse_entry(entry: str) -> AllowedNetwork:
    text, port = entry, None
    if text.startswith("["):
        text, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError("a port follows ']' as ':port'")
            port = int(rest[1:])
    elif text.count(":") == 1:
        text, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ValueError(f"{port_text!r} is not a port")
        port = int(port_text)
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return AllowedNetwork(ipaddress.ip_network(text, strict=True), port)


@lru_cache(maxsize=8)
def _parse_allowed(entries: tuple[str, ...]) -> tuple[AllowedNetwork, ...]:
    parsed = []
    for entry in entries:
        try:
            parsed.append(_parse_entry(entry))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{SETTING}: {entry!r} is not a network (e.g. 10.20.0.0/16, "
                f"192.0.2.7:8443, [fd00::/8]:443): {exc}"
            ) from exc
    return tuple(parsed)


def allowed_networks() -> tuple[AllowedNetwork, ...]:
    """The operator's exceptions, from ``CCM_OUTBOUND_ALLOWED_NETWORKS`` (a list of
    networks, each optionally with a port). Raises ImproperlyConfigured, naming the
    setting and the entry, for an entry that is not a network."""
    return _parse_allowed(tuple(getattr(settings, SETTING, ())))


def _category(address: IPAddress) -> str | None:
    """Why ``address`` is refused (its kind), or None for a public address."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if any(address in network for network in _PRIVATE):
        return "private"
    if address in _SHARED:
        return "shared (carrier-grade NAT)"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not public"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64, 6to4 or Teredo address carries."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_refusal(address: IPAddress, port: int | None = None) -> str | None:
    """The reason the policy refuses a connection to ``address`` (and ``port``), or
    None when it may be reached. An IPv4-mapped IPv6 address is checked as the IPv4
    address it maps. An address inside an allowed network may be reached, except the
    unspecified address (never a destination)."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    checked: IPAddress = mapped or address
    if checked.is_unspecified:
        return f"address {address} is unspecified"
    if any(entry.allows(checked, port) for entry in allowed_networks()):
        return None
    category = _category(checked)
    if category is not None and mapped is not None:
        category += " (IPv4-mapped)"
    embedded = _embedded_ipv4(address)
    if embedded is not None and _category(embedded) is not None:
        category = f"{_category(embedded)} (embeds {embedded})"
    if category is None:
        return None
    shown = f"::ffff:{mapped}" if mapped is not None else str(address)
    return f"address {shown} is {category}"


def _address_of(sockaddr: tuple[Any, ...]) -> IPAddress:
    # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the check.
    return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])


def resolve_checked(host: str, port: int) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo`` answers for ``host`` (TCP), every one of them checked.

    Raises OutboundRefused when any address is refused (a name with one internal
    address among public ones is refused too), ``socket.gaierror`` when the name does
    not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        reason = address_refusal(_address_of(info[4]), port)
        if reason is not None:
            raise OutboundRefused(reason if _is_literal(host) else f"{host}: {reason}")
    return infos


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> None:
    """Check ``url`` before it is stored: its scheme, and the addresses its host is or
    resolves to. Raises OutboundRefused with the reason. A name that does not resolve
    (yet) passes: every request checks again when it connects."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise OutboundRefused(f"scheme {scheme or '(none)'!r} is not http or https")
    try:
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundRefused(f"the host or port is not valid: {exc}") from exc
    if not host:
        raise OutboundRefused("the URL has no host")
    try:
        resolve_checked(host, port)
    except (socket.gaierror, UnicodeError):
        return


def _connect(conn: HTTPConnection) -> socket.socket:
    """What urllib3's ``_new_conn`` does, with the look-up checked and the socket
    connected to the checked address itself."""
    host = conn._dns_host
    port = conn.port if conn.port is not None else (443 if conn.scheme == "https" else 80)
    try:
        infos = resolve_checked(host, port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            timeout = conn.timeout
            if timeout is not None and not isinstance(timeout, (int, float)):
                timeout = None
            sock.settimeout(timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if isinstance(error, TimeoutError):
        raise ConnectTimeoutError(
            conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
        ) from error
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}") from error


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class PolicyAdapter(HTTPAdapter):
    """A requests transport adapter whose every connection goes through the policy."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPConnectionPool,
            "https": _CheckedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        # Through a proxy the socket would reach the proxy, and the proxy the target:
        # the target's address would never be checked here.
        raise OutboundRefused("requests through a proxy are not checked")


def session() -> requests.Session:
    """A ``requests.Session`` under the policy: http and https only, every connection
    (redirects included) to checked addresses. A refused one raises OutboundRefused;
    a name that does not resolve raises ``requests.ConnectionError``."""
    http = requests.Session()
    http.trust_env = False
    for prefix in list(http.adapters):
        http.adapters.pop(prefix)
    adapter = PolicyAdapter()
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http
