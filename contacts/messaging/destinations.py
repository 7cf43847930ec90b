"""Where outbound requests may go. Every URL an administrator or an operator sets (the custom
webhook, the SMS and voice gateways, any provider endpoint) is checked when it is saved and again
each time it is used, and the request then goes to one of the addresses that were checked
(contacts.messaging.http), so a name cannot point somewhere else between the check and the connection.

Refused, unless the address is in a network listed in OUTBOUND_ALLOWED_NETWORKS:
- schemes other than http and https;
- hosts written as numbers in any other form than four decimal numbers (127.1, 2130706433,
  0x7f000001, 0177.0.0.1 all mean 127.0.0.1 to the resolver while hiding it from a reader);
- a host with any resolved address that is unspecified (0.0.0.0/8, ::), loopback, link-local
  (169.254.0.0/16 with the cloud metadata service, fe80::/10), multicast, shared (100.64.0.0/10),
  private (RFC 1918, fc00::/7) or otherwise not globally routable (documentation, benchmarking,
  240.0.0.0/4, broadcast…), also when it is an IPv4 address wrapped in IPv6 (::ffff:a.b.c.d,
  6to4, NAT64's 64:ff9b::/96);
- with DEBUG off, plain http, except to the listed networks.

Written on the standard library (ipaddress, socket.getaddrinfo) rather than taken from a package:
advocate, the long-standing guard for requests, is unmaintained (last release 2020, urllib3 < 2,
Python <= 3.8); the guards released since are pre-1.0 packages of one author each (ssrfguard,
drawbridge, egressweave, safe-outbound…); Microsoft's AntiSSRF 1.0 needs requests, has no public
way to check a URL that is only being saved, one plain-http switch for every destination and
sends the Host header without the port. Python 3.13's ipaddress carries IANA's special-purpose
registries (is_global, is_private, is_reserved), and http.client lets a connection use a checked
address while the Host header, TLS SNI and the certificate check keep the name.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .failures import DestinationRefused, TransientFailure

SCHEMES = {"http": 80, "https": 443}
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# A host made of numbers (decimal, octal with a leading 0, hex with 0x) and dots only.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)

# Why a destination is refused, by the `reason` of DestinationRefused.details; %(host)s is the host.
REFUSALS = {
    "scheme": _("Enter an http:// or https:// URL."),
    "form": _(
        "Write the host as a name, as an IPv4 address of four decimal numbers (a.b.c.d) or as an IPv6 "
        "address in brackets."
    ),
    "https": _(
        "Use https:// for %(host)s: plain http is only allowed to networks that the operator lists in "
        "OUTBOUND_ALLOWED_NETWORKS."
    ),
    "address": _(
        "%(host)s is a local, private or reserved address (loopback, private network, link-local, "
        "multicast…): requests only go to public addresses, unless the operator lists that network in "
        "OUTBOUND_ALLOWED_NETWORKS."
    ),
}


# One resolved address as socket.getaddrinfo gives it: (family, type, proto, sockaddr).
Address = tuple[socket.AddressFamily, socket.SocketKind, int, Any]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written (without brackets): the Host header, TLS SNI and the certificate check use it
    port: int
    target: str  # path and query
    addresses: tuple[Address, ...] = ()  # as resolved, every one checked


def destination_resolve(url: str) -> Destination:
    """The Destination to connect to: the URL parsed, its host resolved once and every address
    checked. Raises DestinationRefused, or TransientFailure CONNECTION when the name does not
    resolve (to the sender that is one more host it cannot reach)."""
    destination = _parse(url)
    try:
        addresses = _resolve(destination)
    except OSError:
        raise TransientFailure(f"Cannot reach the host {destination.host}", code="CONNECTION") from None
    _check(destination, addresses)
    return replace(destination, addresses=tuple(addresses))


def destination_check(url: str) -> Destination:
    """The check made when a URL is saved, with the rules of destination_resolve. A name that does
    not resolve now is let through (it is checked again at every use), except over plain http
    where https is required: nothing shows that it is in an allowed network."""
    destination = _parse(url)
    try:
        addresses = _resolve(destination)
    except OSError:
        addresses = []
    _check(destination, addresses)
    return destination


def validate_outbound_url(value: str) -> None:
    """Form validator: a ValidationError in the active language for a refused destination."""
    try:
        destination_check(value)
    except DestinationRefused as refused:
        raise ValidationError(refusal_text(refused.details), code="destination_refused") from None


def refusal_text(details: dict[str, Any] | None) -> str:
    """Why a destination was refused, in the active language."""
    details = details or {}
    refusal = REFUSALS.get(str(details.get("reason")), REFUSALS["address"])
    return str(refusal) % {"host": details.get("host", "")}


def address_kind(ip: IPAddress) -> str | None:
    """What makes an address internal ("loopback", "private", …), or None for a public one."""
    ip = _unwrapped(ip)
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "unspecified"
    for kind in ("loopback", "link_local", "multicast"):
        if getattr(ip, f"is_{kind}"):
            return kind
    if ip in _SHARED:
        return "shared"
    if any(ip in network for network in _PRIVATE):
        return "private"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def allowed_networks() -> list[IPNetwork]:
    return [
        ipaddress.ip_network(str(n).strip(), strict=False) for n in settings.OUTBOUND_ALLOWED_NETWORKS if str(n).strip()
    ]


def _unwrapped(ip: IPAddress) -> IPAddress:
    """An IPv4 address carried in IPv6 (mapped, 6to4, NAT64) is judged as that IPv4 address."""
    if ip.version == 6:
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _listed(ip: IPAddress, networks: list[IPNetwork]) -> bool:
    return any(
        candidate in network
        for candidate in {ip, _unwrapped(ip)}
        for network in networks
        if candidate.version == network.version
    )


def _refused(reason: str, host: str) -> DestinationRefused:
    details = {"reason": reason, "host": host}
    with translation.override("en"):  # the stored reason of a delivery is English, like every failure's text
        return DestinationRefused(refusal_text(details), details=details)


def _parse(url: str) -> Destination:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port out of range, brackets that do not close
        raise _refused("form", "") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _refused("scheme", parts.hostname or "")
    host = parts.hostname or ""
    if not host or any(c <= " " or c == "\x7f" for c in url) or _numeric_but_not_dotted_quad(host):
        raise _refused("form", host)
    try:
        host.encode("idna")
    except UnicodeError:
        raise _refused("form", host) from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme=scheme, host=host, port=port or SCHEMES[scheme], target=target)


def _numeric_but_not_dotted_quad(host: str) -> bool:
    if not _NUMERIC_HOST.match(host):
        return False
    try:
        ipaddress.IPv4Address(host)  # refuses leading zeros, fewer than four parts, hex
    except ValueError:
        return True
    return False


def _resolve(destination: Destination) -> list[Address]:
    """Every address of the host (one lookup); an IP literal resolves to itself."""
    answers = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    addresses: list[Address] = [
        (family, kind, proto, sockaddr)
        for family, kind, proto, _canonname, sockaddr in answers
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise OSError(f"{destination.host} has no address")
    return addresses


def _check(destination: Destination, addresses: list[Address]) -> None:
    networks = allowed_networks()
    listed = True
    for _family, _kind, _proto, sockaddr in addresses:
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            raise _refused("address", destination.host) from None
        in_allowed = _listed(ip, networks)
        listed = listed and in_allowed
        if not in_allowed and address_kind(ip):
            raise _refused("address", destination.host)
    if destination.scheme == "http" and not settings.DEBUG and not (addresses and listed):
        raise _refused("https", destination.host)
