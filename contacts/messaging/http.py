"""JSON over HTTP for the gateway and webhook transports: the one way out of the process for HTTP.
Standard library only (http.client): one POST with explicit timeouts needs no client library, and
errors map onto the named failures of contacts.messaging.failures.

The destination is checked before anything is sent (contacts.messaging.destinations): the name is resolved
once, every address is checked, and the connection goes to a checked address while the Host
header, TLS SNI and the certificate check keep the name. A DNS answer that changes between the
check and the connection (DNS rebinding) therefore cannot move the request to an internal address.
Proxies from the environment are not used: a proxy would resolve the name again.

Redirects are never followed (http.client does not follow them): a 3xx answer is a misconfigured
URL, not a delivery.

Failure texts name the status and its standard phrase, never what the remote answered in its body,
and every way of not reaching the host (refused, reset, unreachable, a timeout while connecting, a
name that does not resolve) reads the same, so they cannot be used to probe ports."""

import http.client
import json
import socket
import ssl
from http import HTTPStatus
from typing import Any

from .destinations import Address, Destination, destination_resolve
from .failures import DeliveryError, IncorrectContact, PermanentFailure, TransientFailure

# What a provider means by these: the number or address is unknown.
UNKNOWN_RECIPIENT = {404, 410, 422}
# A name may resolve to many addresses; each attempt may take the whole timeout.
MAX_CONNECT_ATTEMPTS = 3


def post_json(
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    body: bytes | None = None,
) -> tuple[int, str]:
    """POST `payload` (or the exact `body` bytes); returns (status, text) for a 2xx answer and
    raises the named failure otherwise: DestinationRefused (a PermanentFailure) before connecting
    to a refused destination, TransientFailure CONNECTION or TIMEOUT, and for a 3xx a
    PermanentFailure REDIRECT that names the Location (details: status, location)."""
    destination = destination_resolve(url)
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    connection = _connection(destination, timeout)
    try:
        _connect(connection, destination)
        status, location, text = _exchange(connection, destination, data, headers or {}, timeout)
    finally:
        connection.close()
    if 200 <= status < 300:
        return status, text
    raise _http_failure(destination.host, status, location)


class _CheckedConnection(http.client.HTTPConnection):
    """Connects to the checked addresses of a Destination, never to its name."""

    def __init__(self, destination: Destination, timeout: float, **kwargs: Any) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout, **kwargs)
        self._addresses = destination.addresses
        # http.client opens its socket through this attribute (then HTTPSConnection wraps it in TLS
        # with server_hostname=self.host): replacing it keeps the name from being resolved again.
        self._create_connection = self._open_checked

    def _open_checked(
        self, _host_port: tuple[str, int], timeout: float, _source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        return _open_socket(self._addresses, timeout)


class _CheckedHTTPSConnection(_CheckedConnection, http.client.HTTPSConnection):
    pass


def _connection(destination: Destination, timeout: float) -> _CheckedConnection:
    if destination.scheme == "https":
        return _CheckedHTTPSConnection(destination, timeout, context=ssl.create_default_context())
    return _CheckedConnection(destination, timeout)


def _open_socket(addresses: tuple[Address, ...], timeout: float) -> socket.socket:
    """A socket connected to the first checked address that answers; nothing is resolved here."""
    error = OSError("no address to connect to")
    for family, kind, proto, sockaddr in addresses[:MAX_CONNECT_ATTEMPTS]:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as caught:
            sock.close()
            error = caught
        else:
            return sock
    raise error


def _connect(connection: _CheckedConnection, destination: Destination) -> None:
    try:
        connection.connect()
    except OSError:  # refused, reset, unreachable, a timeout while connecting, a failed TLS handshake
        raise _unreachable(destination) from None


def _exchange(
    connection: _CheckedConnection, destination: Destination, data: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str, str]:
    """Send the request, read the answer: (status, Location, text of a 2xx answer)."""
    try:
        connection.request(
            "POST",
            destination.target,
            body=data,
            headers={"Content-Type": "application/json; charset=utf-8", **headers},
        )
        response = connection.getresponse()
        text = response.read(4096).decode("utf-8", "replace") if 200 <= response.status < 300 else ""
        return response.status, response.getheader("Location") or "", text
    except TimeoutError:
        raise TransientFailure(f"No answer from {destination.host} within {timeout:g} s", code="TIMEOUT") from None
    except (OSError, http.client.HTTPException):
        raise _unreachable(destination) from None


def _unreachable(destination: Destination) -> TransientFailure:
    return TransientFailure(f"Cannot reach the host {destination.host}", code="CONNECTION")


def _http_failure(host: str, status: int, location: str) -> DeliveryError:
    """The named failure for a non-2xx answer: the status and its standard phrase, not the body."""
    if 300 <= status < 400:
        return PermanentFailure(
            f"HTTP {status} from {host}: a redirect to {location or '(no Location header)'}, not followed",
            code="REDIRECT",
            details={"status": status, "location": location},
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    detail = f"HTTP {status} {phrase} from {host}"
    failure: type[DeliveryError] = PermanentFailure
    if status in UNKNOWN_RECIPIENT:
        failure = IncorrectContact
    elif status >= 500 or status in (408, 429):
        failure = TransientFailure
    return failure(detail, code=f"HTTP_{status}", details={"status": status})
