"""Outbound requests cannot reach internal services (SSRF): the destination rules of
contacts.messaging.destinations and the one HTTP helper, contacts.messaging.http.post_json, that
applies them (rules D4, D7, I3 for the webhook and gateways that use it)."""

import ipaddress
import socket
from http.server import BaseHTTPRequestHandler

import pytest

from contacts.checks import gateway_urls_check
from contacts.messaging.destinations import address_kind, destination_check, destination_resolve
from contacts.messaging.failures import DestinationRefused, IncorrectContact, PermanentFailure, TransientFailure
from contacts.messaging.http import post_json
from tests.peers import HttpPeer, LoopbackHttpServer, free_port

PUBLIC = "93.184.216.34"

# (host as written in a URL, why it is refused): every one of them reaches this machine or its
# private networks.
REFUSED_HOSTS = [
    ("127.0.0.1", "address"),
    ("127.0.0.53", "address"),
    ("127.1", "form"),
    ("localhost", "address"),  # a name (from /etc/hosts) that resolves to 127.0.0.1
    ("10.0.0.1", "address"),
    ("172.16.0.1", "address"),
    ("172.31.255.254", "address"),
    ("192.168.1.10", "address"),
    ("169.254.169.254", "address"),  # the cloud metadata service
    ("[fe80::1]", "address"),
    ("[::1]", "address"),
    ("[::ffff:127.0.0.1]", "address"),
    ("[::ffff:169.254.169.254]", "address"),
    ("[64:ff9b::a9fe:a9fe]", "address"),  # NAT64 of 169.254.169.254
    ("[2002:7f00:1::]", "address"),  # 6to4 of 127.0.0.1
    ("[fc00::1]", "address"),
    ("[fd12:3456::1]", "address"),
    ("2130706433", "form"),  # 127.0.0.1 as one decimal number
    ("0x7f000001", "form"),  # … in hex
    ("0177.0.0.1", "form"),  # … in octal
    ("0x7f.0.0.1", "form"),
    ("0.0.0.0", "address"),
    ("0", "form"),
    ("[::]", "address"),
    ("224.0.0.1", "address"),  # multicast
    ("239.255.255.250", "address"),
    ("[ff02::1]", "address"),
    ("100.64.0.1", "address"),  # shared address space (carrier-grade NAT)
    ("192.0.2.10", "address"),  # documentation
    ("198.18.0.1", "address"),  # benchmarking
    ("240.0.0.1", "address"),  # reserved
    ("255.255.255.255", "address"),  # broadcast
]


@pytest.fixture
def nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def resolver(monkeypatch):
    """socket.getaddrinfo answering from a table (name -> a list of addresses, or a list of such
    lists used one per lookup); every lookup is recorded. Other names fail as unknown."""
    table, lookups = {}, []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        lookups.append(host)
        if host not in table:
            if _is_ip(host):
                return real(host, port, family, type, proto, flags)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = table[host]
        if answers and isinstance(answers[0], list):
            answers = answers.pop(0) if len(answers) > 1 else answers[0]
        return [_answer(address, port) for address in answers]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table, lookups


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _answer(address, port):
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.mark.parametrize("host, reason", REFUSED_HOSTS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_D4_internal_hosts_are_refused_when_saved(nothing_allowed, host, reason, scheme):
    with pytest.raises(DestinationRefused) as refused:
        destination_check(f"{scheme}://{host}:8080/hook")
    assert refused.value.code == "DESTINATION_REFUSED"
    assert refused.value.details["reason"] == reason


@pytest.fixture(scope="module")
def listening_peer():
    with HttpPeer() as peer:
        yield peer


@pytest.mark.parametrize("host, reason", REFUSED_HOSTS)
def test_D4_internal_hosts_are_refused_when_used_and_nothing_is_sent(nothing_allowed, listening_peer, host, reason):
    """Used: no connection is opened; a loopback peer on that port sees no request."""
    port = listening_peer.server.server_address[1]
    with pytest.raises(DestinationRefused) as refused:
        post_json(f"http://{host}:{port}/hook", {"x": 1}, timeout=1)
    assert refused.value.details["reason"] == reason
    assert listening_peer.requests == []


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link_local"),
        ("fe80::1", "link_local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "shared"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "reserved"),
        ("2001:db8::1", "reserved"),
        ("::7f00:1", "reserved"),
        ("64:ff9b::7f00:1", "loopback"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "gopher://127.0.0.1:25/", "example.com/x", "", "javascript:alert(1)"],
)
def test_D4_only_http_and_https(url):
    with pytest.raises(DestinationRefused) as refused:
        destination_check(url)
    assert refused.value.details["reason"] == "scheme"


@pytest.mark.parametrize(
    "url",
    ["http:///hook", "http://exa mple.com/", "http://example.com/a b", "http://[::1/", "http://example.com:99999/"],
)
def test_D4_malformed_hosts_are_refused(url):
    with pytest.raises(DestinationRefused) as refused:
        destination_check(url)
    assert refused.value.details["reason"] == "form"


def test_D4_a_name_resolving_to_an_internal_address_is_refused(nothing_allowed, resolver):
    table, _ = resolver
    table["hooks.internal.example"] = ["10.1.2.3"]
    table["mixed.example"] = [PUBLIC, "127.0.0.1"]  # every address is checked, not only the first
    for host in ("hooks.internal.example", "mixed.example"):
        with pytest.raises(DestinationRefused):
            destination_check(f"https://{host}/hook")
        with pytest.raises(DestinationRefused):
            destination_resolve(f"https://{host}/hook")


def test_D4_a_public_name_is_accepted(nothing_allowed, resolver):
    table, _ = resolver
    table["hooks.example.com"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    destination = destination_resolve("https://hooks.example.com/dataworks?x=1")
    assert (destination.host, destination.port, destination.target) == ("hooks.example.com", 443, "/dataworks?x=1")
    assert [a[3][0] for a in destination.addresses] == [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]


def test_D4_an_allowed_network_lets_its_addresses_through(settings, resolver):
    table, _ = resolver
    table["gateway.corp.example"] = ["10.20.0.5"]
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(DestinationRefused):
        destination_check("http://gateway.corp.example/sms")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    destination_check("http://gateway.corp.example/sms")  # plain http too: the network is listed
    with pytest.raises(DestinationRefused):
        destination_check("http://10.21.0.5/sms")  # next door is not
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    destination_check("http://[::ffff:127.0.0.1]:8000/x")  # the mapped form of a listed address


def test_D4_plain_http_needs_debug_or_an_allowed_network(settings, nothing_allowed, resolver):
    table, _ = resolver
    table["hooks.example.com"] = [PUBLIC]
    settings.DEBUG = False
    with pytest.raises(DestinationRefused) as refused:
        destination_check("http://hooks.example.com/x")
    assert refused.value.details == {"reason": "https", "host": "hooks.example.com"}
    destination_check("https://hooks.example.com/x")
    with pytest.raises(DestinationRefused):  # an unknown name cannot be shown to be in an allowed network
        destination_check("http://unknown.example.com/x")
    settings.DEBUG = True
    destination_check("http://hooks.example.com/x")


def test_D4_an_unknown_name_can_be_saved_and_fails_as_unreachable_when_used(nothing_allowed, resolver):
    destination_check("https://not-yet-in-dns.example.com/x")
    with pytest.raises(TransientFailure) as failure:
        post_json("https://not-yet-in-dns.example.com/x", {}, timeout=1)
    assert failure.value.code == "CONNECTION"
    assert failure.value.text == "Cannot reach the host not-yet-in-dns.example.com"


class _RecordingSocket:
    """Stands in for socket.socket: records where it is asked to connect, then is refused."""

    connects = []

    def __init__(self, family, kind, proto):
        self.family = family

    def settimeout(self, timeout):
        pass

    def connect(self, sockaddr):
        type(self).connects.append(sockaddr[:2])
        raise ConnectionRefusedError(111, "Connection refused")

    def close(self):
        pass


def test_D4_dns_rebinding_connects_to_the_checked_address(nothing_allowed, resolver, monkeypatch):
    """The resolver answers a public address at check time and 127.0.0.1 afterwards: the
    connection still goes to the public address, and the name is looked up once."""
    table, lookups = resolver
    table["rebind.example"] = [[PUBLIC], ["127.0.0.1"]]
    _RecordingSocket.connects = []
    with HttpPeer() as peer:
        port = peer.server.server_address[1]
        monkeypatch.setattr(socket, "socket", _RecordingSocket)
        with pytest.raises(TransientFailure) as failure:
            post_json(f"https://rebind.example:{port}/hook", {"x": 1}, timeout=1)
    assert failure.value.code == "CONNECTION"
    assert _RecordingSocket.connects == [(PUBLIC, port)]
    assert lookups == ["rebind.example"]
    assert peer.requests == []


def test_D4_the_connection_keeps_the_name_in_the_host_header(settings, resolver):
    """Connected to the checked address (127.0.0.1, allowed), the request still names its host;
    a later answer (10.9.9.9) is never used."""
    table, lookups = resolver
    table["hooks.test"] = [["127.0.0.1"], ["10.9.9.9"]]
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with HttpPeer() as peer:
        port = peer.server.server_address[1]
        assert post_json(f"http://hooks.test:{port}/hook", {"x": 1}, timeout=2)[0] == 200
    assert peer.requests[0]["headers"]["Host"] == f"hooks.test:{port}"
    assert lookups == ["hooks.test"]


class _Peer(LoopbackHttpServer):
    """A loopback server whose handler is given: to answer with headers, reset connections…"""

    def __init__(self, handle):
        self.requests = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer.requests.append(self.path)
                handle(self)

            def log_message(self, *args):
                pass

        self._serve(Handler)


def _redirect_to_metadata(handler):
    handler.send_response(302)
    handler.send_header("Location", "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def test_D4_a_redirect_to_an_internal_address_is_not_followed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with _Peer(_redirect_to_metadata) as peer:
        with pytest.raises(PermanentFailure) as failure:
            post_json(peer.url + "/hook", {"x": 1}, timeout=2)
    assert failure.value.code == "REDIRECT"
    assert failure.value.details["location"].startswith("http://169.254.169.254/")
    assert peer.requests == ["/hook"]


def _answer_with_body(status):
    def handle(handler):
        body = b"internal stack trace: password=hunter2 at db01.corp"
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return handle


@pytest.mark.parametrize(
    "status, failure",
    [
        (500, TransientFailure),
        (503, TransientFailure),
        (429, TransientFailure),
        (404, IncorrectContact),
        (410, IncorrectContact),
        (403, PermanentFailure),
        (400, PermanentFailure),
    ],
)
def test_D7_failure_texts_name_the_status_never_the_body(status, failure):
    with _Peer(_answer_with_body(status)) as peer:
        with pytest.raises(failure) as caught:
            post_json(peer.url + "/hook", {}, timeout=2)
    assert caught.value.code == f"HTTP_{status}"
    assert caught.value.details == {"status": status}
    assert str(status) in caught.value.text
    assert "hunter2" not in caught.value.text and "stack trace" not in caught.value.text


def _reset(handler):
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    handler.connection.close()


def test_D7_every_way_of_not_reaching_the_host_reads_the_same(resolver, monkeypatch):
    """Refused, reset, a timeout while connecting and an unknown name give one code and one text,
    so the answers cannot be used to probe which ports are open."""
    table, _ = resolver
    table["gone.test"] = ["127.0.0.1"]
    texts = set()
    closed = free_port()
    for url in (f"http://127.0.0.1:{closed}/hook", f"http://gone.test:{closed}/hook"):
        with pytest.raises(TransientFailure) as failure:
            post_json(url, {}, timeout=1)
        texts.add((failure.value.code, failure.value.text.replace("gone.test", "127.0.0.1")))
    with _Peer(_reset) as peer:
        with pytest.raises(TransientFailure) as failure:
            post_json(peer.url + "/hook", {}, timeout=1)
        texts.add((failure.value.code, failure.value.text))
    with pytest.raises(TransientFailure) as failure:
        post_json("http://unknown.test/hook", {}, timeout=1)
    texts.add((failure.value.code, failure.value.text.replace("unknown.test", "127.0.0.1")))

    def connect_times_out(self, sockaddr):
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket.socket, "connect", connect_times_out)
    with pytest.raises(TransientFailure) as failure:
        post_json(f"http://127.0.0.1:{closed}/hook", {}, timeout=1)
    texts.add((failure.value.code, failure.value.text))
    assert texts == {("CONNECTION", "Cannot reach the host 127.0.0.1")}


def test_D7_no_answer_in_time_is_a_timeout():
    with HttpPeer() as peer:
        peer.scripts["/slow"] = [(200, 1.5)]
        with pytest.raises(TransientFailure) as failure:
            post_json(peer.url + "/slow", {}, timeout=0.5)
    assert failure.value.code == "TIMEOUT"


def test_D4_D7_gateway_urls_are_checked_at_startup(settings, nothing_allowed):
    settings.SMS_GATEWAY_URL = "http://169.254.169.254/latest/"
    settings.VOICE_GATEWAY_URL = "https://[::1]/voice"
    assert [(e.id, e.msg.split(" is refused")[0]) for e in gateway_urls_check()] == [
        ("contacts.E001", "SMS_GATEWAY_URL"),
        ("contacts.E001", "VOICE_GATEWAY_URL"),
    ]
    settings.OUTBOUND_ALLOWED_NETWORKS = ["169.254.169.254/32", "::1/128"]
    assert gateway_urls_check() == []
