"""Sends requests through tsproxy's Function URL and tells tsproxy's own answers (ts-error-name) from the
target's. Buffered or streamed reads; every request has a deadline (http.client's socket timeout)."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union

import botocore.session
from botocore.credentials import Credentials

from .request_builder import ProxyMetric, ProxyTarget, SignedRequest, build_signed_request


@dataclass(frozen=True)
class ProxyError:
    """A response made by tsproxy itself (it carries ts-error-name), not by the target."""

    name: str
    message: str
    status_code: int


def region_from_url(url: str) -> Optional[str]:
    m = re.search(r"\.lambda-url\.([a-z0-9-]+)\.on\.aws$", urllib.parse.urlsplit(url).hostname or "")
    return m.group(1) if m else None


def proxy_error_of(status_code: int, headers: List[Tuple[str, str]]) -> Optional[ProxyError]:
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    if "ts-error-name" not in values:
        return None
    return ProxyError(
        name=", ".join(values["ts-error-name"]),
        message=", ".join(values.get("ts-error-message", [""])),
        status_code=status_code,
    )


class ProxyResponse:
    """The response: `status_code`, `headers` (name, value) pairs in order, `proxy_error`, and the body,
    read whole (`body`, `text()`, `json()`) or, from `TailscaleProxyClient.stream`, piece by piece."""

    def __init__(self, raw: http.client.HTTPResponse, connection: http.client.HTTPConnection, streamed: bool):
        self._raw = raw
        self._connection = connection
        self.status_code: int = raw.status
        self.headers: List[Tuple[str, str]] = [(k.lower(), v) for k, v in raw.getheaders()]
        self.proxy_error: Optional[ProxyError] = proxy_error_of(self.status_code, self.headers)
        self._body: Optional[bytes] = None
        if not streamed:
            self._body = raw.read()
            self.close()

    def header(self, name: str) -> Optional[str]:
        """One header's value; repeated ones joined with ', ' (Set-Cookie: see `headers`)."""
        found = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(found) if found else None

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = self._raw.read()
            self.close()
        return self._body

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    def json(self):
        return json.loads(self.body)

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The body as it arrives. A stream tsproxy cut short (a failure mid-stream) raises
        http.client.IncompleteRead."""
        while True:
            chunk = self._raw.read1(chunk_size) if hasattr(self._raw, "read1") else self._raw.read(chunk_size)
            if not chunk:
                break
            yield chunk
        self.close()

    def close(self) -> None:
        self._raw.close()
        self._connection.close()

    def __enter__(self) -> "ProxyResponse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


CredentialsInput = Union[Credentials, Tuple[str, str], Tuple[str, str, Optional[str]], None]


class TailscaleProxyClient:
    """A client of one tsproxy Function URL.

    url: the Function URL. target: the default ProxyTarget. region: default from a
    `*.lambda-url.<region>.on.aws` URL, else AWS_REGION / AWS_DEFAULT_REGION. credentials: botocore
    Credentials or (access key, secret key[, session token]); default botocore's chain (in Lambda: the
    function's role). metric: ts-metric-* headers for every request. timeout: seconds per socket operation.
    """

    def __init__(
        self,
        url: str,
        target: ProxyTarget,
        region: Optional[str] = None,
        credentials: CredentialsInput = None,
        metric: Optional[ProxyMetric] = None,
        timeout: float = 30.0,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        self.url = url
        self.target = target
        self.region = region or region_from_url(url) or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not self.region:
            raise ValueError("no region: pass region, or set AWS_REGION")
        self.metric = metric
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._credentials = credentials

    def _resolve_credentials(self) -> Credentials:
        c = self._credentials
        if isinstance(c, Credentials):
            return c.get_frozen_credentials() if hasattr(c, "get_frozen_credentials") else c
        if isinstance(c, tuple):
            return Credentials(*c)
        found = botocore.session.get_session().get_credentials()
        if found is None:
            raise ValueError("no AWS credentials: pass credentials, or configure botocore's chain")
        frozen = found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def build(self, method: str = "GET", path: str = "/", *, query=None, headers=None, body=None,
              target: Optional[ProxyTarget] = None) -> SignedRequest:
        """The signed request this client would send now."""
        return build_signed_request(
            self.url,
            self.region,
            self._resolve_credentials(),
            target or self.target,
            datetime.datetime.now(datetime.timezone.utc),
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            metric=self.metric,
        )

    def _send(self, signed: SignedRequest, streamed: bool) -> ProxyResponse:
        if signed.scheme == "https":
            connection = http.client.HTTPSConnection(
                signed.host, signed.port, timeout=self.timeout, context=self._ssl_context or ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(signed.host, signed.port, timeout=self.timeout)
        try:
            connection.putrequest(signed.method, signed.path, skip_host=True, skip_accept_encoding=True)
            for name, value in signed.headers:
                connection.putheader(name, value)
            connection.endheaders(signed.body if signed.body else None)
            return ProxyResponse(connection.getresponse(), connection, streamed)
        except BaseException:
            connection.close()
            raise

    def request(self, method: str = "GET", path: str = "/", **kwargs) -> ProxyResponse:
        """Sends the request and reads the whole response."""
        return self._send(self.build(method, path, **kwargs), streamed=False)

    def stream(self, method: str = "GET", path: str = "/", **kwargs) -> ProxyResponse:
        """Sends the request and returns once the response head arrived; read it with iter_bytes()."""
        return self._send(self.build(method, path, **kwargs), streamed=True)
