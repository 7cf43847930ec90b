"""JSON over HTTP for the gateway and webhook backends. Standard library only: one POST with a
timeout needs no client library, and errors map onto the named failures of channel_errors.

Redirects are never followed. urllib's default opener turns a 301/302/303 answer to a POST into a
GET without the body, so a plain http→https or trailing-slash redirect used to look like a
delivery; an answer that is a redirect is a misconfigured URL, not a delivery."""

import json
import socket
import urllib.error
import urllib.request

from .channel_errors import IncorrectContact, PermanentFailure, TransientFailure

# What a provider means by these: the number or address is unknown.
UNKNOWN_RECIPIENT = {404, 410, 422}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Answer a 3xx as it is: urllib then raises it as an HTTPError instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url, payload, *, headers=None, timeout=10.0, body=None):
    """POST `payload` (or the exact `body` bytes); returns (status, text) for a 2xx answer and
    raises the named failure otherwise. A 3xx is a PermanentFailure with code REDIRECT that names
    the Location (details: status, location)."""
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        raise _http_failure(url, error) from None
    except TimeoutError:
        raise TransientFailure(f"No answer from {url} within {timeout:g} s", code="TIMEOUT") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise TransientFailure(f"No answer from {url} within {timeout:g} s", code="TIMEOUT") from None
        raise TransientFailure(f"Cannot reach {url}: {reason}", code="CONNECTION") from None
    except (ConnectionError, OSError) as error:
        raise TransientFailure(f"Cannot reach {url}: {error}", code="CONNECTION") from None


def _http_failure(url, error):
    """The named failure for a non-2xx answer."""
    if 300 <= error.code < 400:
        location = (error.headers.get("Location") if error.headers else None) or ""
        error.close()
        return PermanentFailure(
            f"HTTP {error.code} from {url}: a redirect to {location or '(no Location header)'}, not followed",
            code="REDIRECT", details={"status": error.code, "location": location},
        )
    text = error.read(1024).decode("utf-8", "replace") if error.fp else ""
    detail = f"HTTP {error.code} from {url}: {text[:200]}".strip()
    if error.code in UNKNOWN_RECIPIENT:
        return IncorrectContact(detail, code=f"HTTP_{error.code}", details={"status": error.code})
    if error.code >= 500 or error.code in (408, 429):
        return TransientFailure(detail, code=f"HTTP_{error.code}", details={"status": error.code})
    return PermanentFailure(detail, code=f"HTTP_{error.code}", details={"status": error.code})
