"""The address of the client behind a request: the one function for login throttling
(django-axes, ``AXES_CLIENT_IP_CALLABLE``), API rate limits and the metrics allowlist.

With ``CCM_TRUSTED_PROXY_COUNT`` = 0 the client is the peer (``REMOTE_ADDR``) and
``X-Forwarded-For`` is ignored. With N proxies in front, each proxy appends the address
it received the request from to ``X-Forwarded-For``, so the chain reads
``<whatever the client sent>, <client>, <proxy 1> ... <proxy N-1>`` and the peer is
proxy N: the client is the N-th address from the right, counting the peer. Anything
further left was written by the client and is never looked at. A chain shorter than
that (a request that reached a later proxy, or gunicorn, directly) gives its left-most
address, which a trusted hop wrote.

django-ipware's ``proxy_count`` is not used: it counts the hops inside the header and
wants an exact length, so behind one nginx that appends it picks the client's own entry
(``203.0.113.7, 192.0.2.50`` gives 203.0.113.7), and a header of another length gives no
address at all (``None``, which django-axes then shared between every client).
"""

import ipaddress
from collections.abc import Mapping
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class HasMeta(Protocol):
    """A Django ``HttpRequest`` or a REST framework ``Request``."""

    @property
    def META(self) -> Mapping[str, Any]: ...


def client_address(request: HasMeta) -> str | None:
    """The client's address, normalised (``2001:db8::1``, IPv4-mapped IPv6 as IPv4), or
    None when the address the trusted hops give is not an IP address (then nobody can
    tell this client from another: callers refuse, never count it with others).

    Raises ImproperlyConfigured when ``CCM_TRUSTED_PROXY_COUNT`` is negative."""
    proxies: int = settings.CCM_TRUSTED_PROXY_COUNT
    if proxies < 0:
        raise ImproperlyConfigured(
            f"CCM_TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in "
            f"front of the web processes, not {proxies}"
        )
    hops = [str(request.META.get("REMOTE_ADDR") or "")]
    if proxies:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + hops
    return address_normalise(hops[max(len(hops) - proxies - 1, 0)])


def address_normalise(text: str) -> str | None:
    """``text`` as an IP address (a port after it, ``[v6]:port`` or ``v4:port``, is
    dropped), or None if it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)
