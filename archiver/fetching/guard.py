"""Which addresses archiver may contact: public ones only, unless private ones are allowed.

A link in an e-mail must not make archiver probe the local network (SSRF): every hop's host is
resolved and each of its addresses checked before connecting, and the address actually
connected to is checked again as soon as the connection is made, before a byte is sent, which
defends against DNS rebinding (the name resolving to another address when httpx connects).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from .problem import FetchProblem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refused_reason(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public address (e.g. ``"loopback"``), or None if it is public.

    IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``) are judged by the IPv4 address inside,
    since that is where the packets go.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # Most specific first: is_private also covers loopback, link-local, reserved and more.
    for reason in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{reason}"):
            return reason.replace("_", "-")
    if not ip.is_global:
        # Shared address space (100.64.0.0/10) and the like: not reachable from the internet.
        return "non-global"
    return None


def _refusal(host: str, address: str, reason: str) -> FetchProblem:
    return FetchProblem(
        "refused-address",
        f"refused to connect to {host} ({address}, a {reason} address); "
        "pass --allow-private to fetch private or local addresses",
    )


def check_literal(host: str) -> None:
    """Refuse ``host`` if it is an IP address literal that is not public (no DNS look-up).

    Used when a proxy resolves names for us: only literal addresses can be judged then.
    """
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    reason = refused_reason(ip)
    if reason:
        raise _refusal(host, str(ip), reason)


async def check_host(host: str, port: int, timeout: float) -> list[str]:
    """Resolve ``host`` and refuse it unless every address it resolves to is public.

    Returns the addresses. Raises FetchProblem: ``dns`` when the name does not resolve (or
    not within ``timeout`` seconds), ``refused-address`` when any address is not public.
    """
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM), timeout
        )
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchProblem("dns", f"could not resolve host {host} ({exc})") from None
    except asyncio.TimeoutError:
        raise FetchProblem("dns", f"could not resolve host {host} within {timeout:g}s") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        reason = refused_reason(address)
        if reason:
            raise _refusal(host, address, reason)
    return addresses


def peer_check(host: str) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore ``trace`` hook that refuses a new connection to a non-public address.

    httpcore calls it when the TCP connection to ``host`` is made and before the request is
    written, so a refused peer receives nothing. Not for proxied requests: the peer is the proxy.
    """

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info["return_value"]
        address = stream.get_extra_info("server_addr")
        reason = refused_reason(str(address[0])) if address else None
        if reason:
            await stream.aclose()  # httpcore does not close a stream its trace hook rejected
            raise _refusal(host, str(address[0]), reason)

    return trace
