"""Sends requests through tsproxy's Function URL and tells tsproxy's own answers (ts-error-name) from the
target's. Buffered or streamed reads; every request has a deadline (http.client's socket timeout). One
credential source and one pool of keep-alive connections per client, shared by its threads; throttled and
failed calls are retried as retry_policy.py says."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import botocore.session
from botocore.credentials import Credentials

from .connection_pool import ConnectionPool
from .request_builder import ProxyMetric, ProxyTarget, SignedRequest, build_signed_request
from .retry_policy import RetryPolicy, is_idempotent, is_retryable_answer


@dataclass(frozen=True)
class ProxyError:
    """A response made by tsproxy itself (it carries ts-error-name), not by the target."""

    name: str
    message: str
    status_code: int


class DiagnoseRefused(RuntimeError):
    """tsproxy did not diagnose the target: `error` is its answer (403 DiagnoseNotAllowed when this caller
    may not ask), or None when the answer was not a diagnosis at all (a tsproxy that predates ts-diagnose
    forwards the request)."""

    def __init__(self, message: str, error: Optional[ProxyError], status_code: int):
        super().__init__(message)
        self.error = error
        self.status_code = status_code


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

    def __init__(self, raw: http.client.HTTPResponse, connection: http.client.HTTPConnection,
                 pool: ConnectionPool, streamed: bool):
        self._raw = raw
        self._connection: Optional[http.client.HTTPConnection] = connection
        self._pool = pool
        self.status_code: int = raw.status
        self.headers: List[Tuple[str, str]] = [(k.lower(), v) for k, v in raw.getheaders()]
        self.proxy_error: Optional[ProxyError] = proxy_error_of(self.status_code, self.headers)
        self._body: Optional[bytes] = None
        if not streamed:
            self._body = self._read_to_end()

    def header(self, name: str) -> Optional[str]:
        """One header's value; repeated ones joined with ', ' (Set-Cookie: see `headers`)."""
        found = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(found) if found else None

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = self._read_to_end()
        return self._body

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    def json(self):
        return json.loads(self.body)

    def iter_bytes(self, chunk_size: int = 65536) -> Iterator[bytes]:
        """The body as it arrives. A stream tsproxy cut short (a failure mid-stream) raises
        http.client.IncompleteRead."""
        try:
            while True:
                chunk = self._raw.read1(chunk_size) if hasattr(self._raw, "read1") else self._raw.read(chunk_size)
                if not chunk:
                    break
                yield chunk
        except BaseException:
            self.close()
            raise
        self._finish()

    def _read_to_end(self) -> bytes:
        try:
            body = self._raw.read()
        except BaseException:
            self.close()
            raise
        self._finish()
        return body

    def _finish(self) -> None:
        # Read to the end: the connection may carry the next request.
        connection, self._connection = self._connection, None
        if connection is not None:
            self._raw.close()
            self._pool.release(connection)

    def close(self) -> None:
        """Ends the response; a body not read to the end closes its connection."""
        connection, self._connection = self._connection, None
        self._raw.close()
        if connection is not None:
            connection.close()

    def __enter__(self) -> "ProxyResponse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


CredentialsInput = Union[Credentials, Tuple[str, str], Tuple[str, str, Optional[str]], None]


class TailscaleProxyClient:
    """A client of one tsproxy Function URL; safe to share between threads. `close()` (or `with`) closes
    its idle connections.

    url: the Function URL. target: the default ProxyTarget. region: default from a
    `*.lambda-url.<region>.on.aws` URL, else AWS_REGION / AWS_DEFAULT_REGION. credentials: botocore
    Credentials (RefreshableCredentials are refreshed as botocore does) or (access key, secret key[,
    session token]); default: one botocore session's chain, resolved once (in Lambda: the function's role).
    metric: ts-metric-* headers for every request. timeout: seconds per socket operation. max_attempts,
    base_delay, max_delay: retries of throttled and failed calls (RetryPolicy). pool_size: idle keep-alive
    connections kept.
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
        max_attempts: int = 3,
        base_delay: float = 0.1,
        max_delay: float = 20.0,
        pool_size: int = 10,
    ):
        self.url = url
        self.target = target
        self.region = region or region_from_url(url) or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not self.region:
            raise ValueError("no region: pass region, or set AWS_REGION")
        self.metric = metric
        self.timeout = timeout
        self.retry_policy = RetryPolicy(max_attempts, base_delay, max_delay)
        self._credentials = self._credential_source(credentials)
        parts = urllib.parse.urlsplit(url)
        self._pool = ConnectionPool(
            parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80),
            timeout, ssl_context, pool_size,
        )
        # Waits between attempts; a test may pass a recorder instead of sleeping.
        self.sleep: Callable[[float], None] = time.sleep

    @staticmethod
    def _credential_source(credentials: CredentialsInput) -> Optional[Credentials]:
        if isinstance(credentials, Credentials):
            return credentials
        if isinstance(credentials, tuple):
            return Credentials(*credentials)
        # One session and one provider chain for the client's life: the chain's lookups (files, the
        # container or instance metadata endpoint) happen once, and refreshes go through its object.
        return botocore.session.Session().get_credentials()

    def _resolve_credentials(self) -> Credentials:
        if self._credentials is None:
            raise ValueError("no AWS credentials: pass credentials, or configure botocore's chain")
        frozen = self._credentials.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def build(self, method: str = "GET", path: str = "/", *, query=None, headers=None, body=None,
              target: Optional[ProxyTarget] = None, diagnose: bool = False) -> SignedRequest:
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
            diagnose=diagnose,
        )

    def _send_once(self, signed: SignedRequest, streamed: bool) -> ProxyResponse:
        """One attempt. An OSError raised before the connection was open carries `request_sent = False`."""
        connection, is_open = self._pool.acquire()
        try:
            if not is_open:
                try:
                    connection.connect()
                except OSError as e:
                    e.request_sent = False
                    raise
            connection.putrequest(signed.method, signed.path, skip_host=True, skip_accept_encoding=True)
            for name, value in signed.headers:
                connection.putheader(name, value)
            connection.endheaders(signed.body if signed.body else None)
            return ProxyResponse(connection.getresponse(), connection, self._pool, streamed)
        except BaseException:
            connection.close()
            raise

    def _send(self, method: str, path: str, streamed: bool, kwargs: Dict) -> ProxyResponse:
        policy = self.retry_policy
        idempotent = is_idempotent(method)
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            # Signed per attempt: fresh credentials and date.
            signed = self.build(method, path, **kwargs)
            try:
                response = self._send_once(signed, streamed)
            except (ssl.SSLError, socket.timeout):
                raise  # a repeat meets the same certificate, or waits as long again
            except (OSError, http.client.HTTPException) as e:
                # Sent again only when none of it can have reached the server, or a repeat is harmless.
                if last or not (idempotent or getattr(e, "request_sent", True) is False):
                    raise
            else:
                if last or not idempotent or not is_retryable_answer(response.status_code, response.headers):
                    return response
                response.close()
            self.sleep(policy.delay(attempt))
        raise AssertionError("unreachable")

    def request(self, method: str = "GET", path: str = "/", **kwargs) -> ProxyResponse:
        """Sends the request and reads the whole response."""
        return self._send(method, path, False, kwargs)

    def stream(self, method: str = "GET", path: str = "/", **kwargs) -> ProxyResponse:
        """Sends the request and returns once the response head arrived; read it with iter_bytes()."""
        return self._send(method, path, True, kwargs)

    def diagnose(self, target: Optional[ProxyTarget] = None) -> dict:
        """Asks tsproxy why the target (default: the client's) can or cannot be reached, instead of reaching
        it: the diagnosis as parsed JSON, one section per step with "result" and a plain-words "verdict"
        (README, Troubleshooting). Raises DiagnoseRefused when tsproxy answers anything else."""
        response = self.request("GET", "/", target=target, diagnose=True)
        if response.proxy_error is not None:
            error = response.proxy_error
            raise DiagnoseRefused(f"{error.name}: {error.message}", error, response.status_code)
        if response.status_code != 200 or response.header("ts-diagnose") != "true":
            raise DiagnoseRefused(
                f"the answer (status {response.status_code}) is not a diagnosis: this tsproxy does not know ts-diagnose",
                None, response.status_code)
        return response.json()

    def close(self) -> None:
        """Closes the idle connections; responses still being read keep theirs until they end."""
        self._pool.close()

    def __enter__(self) -> "TailscaleProxyClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
