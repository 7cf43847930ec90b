"""JSON over HTTP for the gateway and webhook backends. Standard library only: one POST with a
timeout needs no client library, and errors map onto the named failures of channel_errors."""

import json
import socket
import urllib.error
import urllib.request

from .channel_errors import IncorrectContact, PermanentFailure, TransientFailure

# What a provider means by these: the number or address is unknown.
UNKNOWN_RECIPIENT = {404, 410, 422}


def post_json(url, payload, *, headers=None, timeout=10.0, body=None):
    """POST `payload` (or the exact `body` bytes); returns (status, text) for a 2xx answer and
    raises the named failure otherwise."""
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        text = error.read(1024).decode("utf-8", "replace") if error.fp else ""
        detail = f"HTTP {error.code} from {url}: {text[:200]}".strip()
        if error.code in UNKNOWN_RECIPIENT:
            raise IncorrectContact(detail, code=f"HTTP_{error.code}") from None
        if error.code >= 500 or error.code in (408, 429):
            raise TransientFailure(detail, code=f"HTTP_{error.code}") from None
        raise PermanentFailure(detail, code=f"HTTP_{error.code}") from None
    except TimeoutError:
        raise TransientFailure(f"No answer from {url} within {timeout:g} s", code="TIMEOUT") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise TransientFailure(f"No answer from {url} within {timeout:g} s", code="TIMEOUT") from None
        raise TransientFailure(f"Cannot reach {url}: {reason}", code="CONNECTION") from None
    except (ConnectionError, OSError) as error:
        raise TransientFailure(f"Cannot reach {url}: {error}", code="CONNECTION") from None
