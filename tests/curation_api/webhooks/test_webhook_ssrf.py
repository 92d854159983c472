"""The SSRF guard: which addresses a webhook may reach, and the connection it makes."""

from __future__ import annotations

import httpx
import pytest

from curation_api.outbound import GuardedTransport, UnsafeUrl, check_url, refusal
from curation_api.webhooks.receiver import WebhookReceiver


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = refusal(address)
    assert reason is not None
    assert kind in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example.com", 443)
        return ["93.184.216.34", "127.0.0.1"]

    with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1, a loopback address"):
        check_url("https://hooks.example.com/x", allow_private=False, resolver=resolver)
    assert check_url("https://hooks.example.com/x", allow_private=True, resolver=resolver)


def test_localhost_is_refused_through_the_real_resolver() -> None:
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_url("http://localhost:8765/hook", allow_private=False)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "http:///nohost", "http://a:b@example.com/", "http://x:99999/"]
)
def test_urls_that_are_not_plain_http_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_private=True, resolver=lambda _h, _p: ["93.184.216.34"])


def test_the_transport_checks_the_address_it_connects_to() -> None:
    # The name was checked once as public, but at connection time it resolves to loopback
    # (DNS rebinding): the transport refuses to connect.
    receiver = WebhookReceiver().start()
    try:
        guarded = GuardedTransport(allow_private=False, resolver=lambda _h, _p: ["127.0.0.1"])
        with httpx.Client(transport=guarded) as client, pytest.raises(UnsafeUrl):
            client.post(f"http://rebound.example:{receiver.port}/hook", content=b"{}")
        allowed = GuardedTransport(allow_private=True, resolver=lambda _h, _p: ["127.0.0.1"])
        with httpx.Client(transport=allowed) as client:
            answer = client.post(f"http://rebound.example:{receiver.port}/hook", content=b"{}")
        assert answer.status_code == 204
        assert len(receiver.received) == 1
    finally:
        receiver.stop()
