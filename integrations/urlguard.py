"""Server-side request forgery guard for webhook URLs.

A brand names a URL and our servers POST to it, so a URL must not reach anything behind our
firewall: the cloud metadata service (169.254.169.254), the database, Redis, localhost. A URL
is accepted when it is https and every address its host resolves to is public. The check runs
when the endpoint is saved and again before each attempt, and the request then goes to the
addresses that were checked (``Target.addresses``) with the name only in the Host header and TLS
SNI, so a DNS answer that changes between the check and the connection (rebinding) cannot
turn a public name into a private address. Redirects are never followed.

``GIGCX_WEBHOOKS_ALLOW_PRIVATE`` (off by default) lets private and loopback addresses through,
for development and tests; ``GIGCX_WEBHOOKS_ALLOW_HTTP`` (off by default) allows plain http.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext

from gigcx.exceptions import ApplicationError


class UnsafeUrl(ApplicationError):
    """The URL may not be called; the message says why and what to do."""

    code = "unsafe_url"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # the checked IP addresses to connect to, in DNS order


def _refuse(message: str) -> UnsafeUrl:
    return UnsafeUrl(message, fields={"url": [message]})


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(
            gettext("The host %(host)s could not be resolved; check the spelling.") % {"host": host}
        ) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _refuse(gettext("The host %(host)s has no address.") % {"host": host})
    return addresses


def url_check(url: str) -> Target:
    """Parse ``url`` and check where it leads. Raises :class:`UnsafeUrl` (400)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(gettext("This is not a valid URL.")) from exc
    scheme = parts.scheme.lower()
    if scheme == "http" and not settings.GIGCX_WEBHOOKS_ALLOW_HTTP:
        raise _refuse(
            gettext("Use an https:// URL; plain http is refused (it would expose the payload).")
        )
    if scheme not in ("http", "https"):
        raise _refuse(gettext("Use an https:// URL."))
    if parts.username is not None or parts.password is not None:
        raise _refuse(
            gettext("Leave the user name and password out of the URL; we sign every request.")
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refuse(gettext("The URL needs a host name, as in https://hooks.example.com/gigcx."))
    if parts.fragment:
        raise _refuse(gettext("Leave the #fragment out of the URL; it is never sent."))
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not settings.GIGCX_WEBHOOKS_ALLOW_PRIVATE:
        private = [a for a in addresses if not address_is_public(a)]
        if private:
            raise _refuse(
                gettext(
                    "%(host)s resolves to %(address)s, a private, loopback, link-local or "
                    "reserved address: webhooks go only to public internet addresses."
                )
                % {"host": host, "address": private[0]}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))
