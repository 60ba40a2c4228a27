"""The client's address, as sign-in limits count it (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind a proxy every request arrives from the proxy's address, and the client's is in
``X-Forwarded-For``, a header any client can also send. So the header is believed only
when the immediate peer (``REMOTE_ADDR``) is one of ``SAFECASE_TRUSTED_PROXIES``
(addresses or networks); then the client is the right-most address in it that is not
itself a trusted proxy. Anyone else is taken at their own address, whatever they claim,
so nobody can lock out another person's address by forging the header, nor escape the
per-address limit by changing it (issue 17, docs/security-hardening.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``SAFECASE_TRUSTED_PROXIES`` as networks; ValueError names a bad entry."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IP address or network") from exc
    return tuple(networks)


@cache
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted(tuple(getattr(settings, "SAFECASE_TRUSTED_PROXIES", ())))
    if not _is_trusted(_address(remote), networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        address = _address(hop)
        if address is None:
            return remote  # not an address: what the proxy passed on cannot be read
        if not _is_trusted(address, networks):
            return str(address)
    return remote
