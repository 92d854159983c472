"""Downloading an original: over the SSRF-guarded transport (:mod:`curation_api.outbound`),
streamed, cut off at the size limit, following a few redirects, each checked like the first
URL, so that a public CDN cannot bounce the worker to an inner address."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from curation_api.media.settings import MediaSettings
from curation_api.outbound import GuardedTransport, Resolver, UnsafeUrl, check_url, resolve

ALLOW_SETTING = "UGC_MEDIA_ALLOW_PRIVATE"
MAX_REDIRECTS = 3
USER_AGENT = "ugc-media/1"
ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9"


class FetchFailed(Exception):
    """The original could not be downloaded; the message says why (it is shown on the post)."""


class MediaFetcher:
    """Downloads originals; one client (and its connection pool) per worker."""

    def __init__(
        self,
        settings: MediaSettings,
        *,
        resolver: Resolver = resolve,
        client: httpx.Client | None = None,
    ) -> None:
        self.allow_private = settings.media_allow_private
        self.max_bytes = settings.media_max_bytes
        self.timeout_s = settings.media_timeout_s
        self.resolver = resolver
        self.client = client or httpx.Client(
            transport=GuardedTransport(
                allow_private=self.allow_private, resolver=resolver, allow_setting=ALLOW_SETTING
            ),
            timeout=settings.media_timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str) -> bytes:
        """The body at ``url``; :class:`FetchFailed` on a refused address, an error status,
        a timeout or a body over the limit."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(
                    url,
                    allow_private=self.allow_private,
                    resolver=self.resolver,
                    allow_setting=ALLOW_SETTING,
                )
                with self.client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchFailed(f"HTTP {response.status_code} from the media URL")
                    return self._read_limited(response)
            except UnsafeUrl as exc:
                raise FetchFailed(f"refused: {exc}") from None
            except httpx.TimeoutException:
                raise FetchFailed(f"timed out after {self.timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{type(exc).__name__}: {exc}") from None
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")

    def _read_limited(self, response: httpx.Response) -> bytes:
        too_big = FetchFailed(f"larger than the limit of {self.max_bytes} bytes")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_big
        body = bytearray()
        # A missing or lying Content-Length is no protection: count what actually arrives.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise too_big
        return bytes(body)
