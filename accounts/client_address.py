"""The client's address, as the throttles and the consent records count it.

``REMOTE_ADDR`` is the client, unless the connection comes from a proxy named in
``settings.TRUSTED_PROXIES`` (addresses or networks): only then is ``X-Forwarded-For`` read, from
the right (the proxies append), skipping the trusted proxies, and its first untrusted entry is
the client. A header sent by anyone else is ignored, so nobody can pick the address a throttle
counts (lock another person out, or spread their own tries over invented addresses).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies):
    networks = []
    for entry in proxies:
        networks.append(ipaddress.ip_network(entry.strip(), strict=False))
    return tuple(networks)


def _parse(value):
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def client_address(request):
    """The client's address as a string, or None when the request carries none."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(_parse(remote), networks):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for entry in reversed([part for part in forwarded if part]):
        address = _parse(entry)
        if address is None:
            # Garbage in the chain: believe nothing further left than the last trusted hop.
            return remote
        if not _trusted(address, networks):
            return str(address)
        remote = str(address)
    return remote
