"""The bytes of one signed request to tsproxy's Function URL, built as a value (no I/O).

The target's path, query, headers and body, the ts-* routing headers of docs/PROTOCOLS.md section 1, and a
SigV4 signature (service "lambda") over all of it, computed by botocore's SigV4Auth. Mirrors the Node.js
client's request builder, so that both send the same bytes for the same request.
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Headers the Function URL's own signature occupies; a target's copies travel under ts- names.
MOVED_HEADERS = ("authorization", "host", "x-amz-date", "x-amz-content-sha256")
# Never forwarded to the target by tsproxy, and without a ts- form.
UNFORWARDABLE = ("x-amz-security-token",)

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Characters left alone in a path (the Node.js client's aws4 leaves the same); others are %XX.
_PATH_SAFE = "/;,:@&=+$-_.!~*'()%"

QueryInput = Union[str, Mapping[str, Union[str, Sequence[str]]], Sequence[Tuple[str, str]]]


class RequestError(ValueError):
    """A request the client refuses to send (it would be refused or changed on the way)."""


@dataclass(frozen=True)
class ProxyTarget:
    """The tailnet machine: `ip` (ts-target-ip) or `host` (ts-target-host, also the TLS name), `port`,
    and `https` (ts-https; None: TLS exactly when the port is 443)."""

    port: int
    ip: Optional[str] = None
    host: Optional[str] = None
    https: Optional[bool] = None


@dataclass(frozen=True)
class ProxyMetric:
    """CloudWatch metric headers (ts-metric-*)."""

    service: str
    dimension_name: Optional[str] = None
    dimension_value: Optional[str] = None


@dataclass(frozen=True)
class SignedRequest:
    scheme: str
    host: str
    port: int
    method: str
    path: str  # path and query exactly as sent
    headers: Tuple[Tuple[str, str], ...]
    body: bytes = field(repr=False)


def _sign(request: AWSRequest, credentials: Credentials, region: str, when: datetime.datetime) -> None:
    """SigV4 (service "lambda") at a given time rather than the clock's, so that a request is a value.

    Only SigV4Auth's public steps: the canonical request, the string to sign and the signature read the
    time from request.context["timestamp"], the one input add_auth would take from the clock."""
    auth = SigV4Auth(credentials, "lambda", region)
    timestamp = when.astimezone(datetime.timezone.utc).strftime(SIGV4_TIMESTAMP)
    request.context["timestamp"] = timestamp
    request.headers["X-Amz-Date"] = timestamp
    if credentials.token:
        request.headers["X-Amz-Security-Token"] = credentials.token
    signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    signed_headers = auth.signed_headers(auth.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={auth.scope(request)}, SignedHeaders={signed_headers}, Signature={signature}"
    )


def strict_encode(text: str) -> str:
    """RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes."""
    return urllib.parse.quote(text, safe="-_.~")


def _decode(text: str) -> str:
    try:
        return urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError as e:
        raise RequestError(f"invalid percent-encoding in {text!r}") from e


def encode_query(query: Optional[QueryInput]) -> str:
    """The query as sent: strictly encoded pairs in the caller's order; in a raw string `+` is a plus."""
    if query is None:
        return ""
    parts = []
    if isinstance(query, str):
        for piece in query.lstrip("?").split("&"):
            if not piece:
                continue
            key, eq, value = piece.partition("=")
            parts.append(strict_encode(_decode(key)) + (("=" + strict_encode(_decode(value))) if eq else ""))
    elif isinstance(query, Mapping):
        for key, value in query.items():
            for one in [value] if isinstance(value, str) else value:
                parts.append(f"{strict_encode(key)}={strict_encode(one)}")
    else:
        for key, value in query:
            parts.append(f"{strict_encode(key)}={strict_encode(value)}")
    return "&".join(parts)


def encode_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    return urllib.parse.quote(path, safe=_PATH_SAFE)


def _target_headers(target: ProxyTarget, metric: Optional[ProxyMetric], diagnose: bool = False) -> list:
    if not target.ip and not target.host:
        raise RequestError("the target needs an ip or a host")
    if not isinstance(target.port, int) or not 1 <= target.port <= 65535:
        raise RequestError(f"target port {target.port!r} is not 1-65535")
    h = [("ts-target-port", str(target.port))]
    if target.ip:
        h.append(("ts-target-ip", target.ip))
    if target.host:
        h.append(("ts-target-host", target.host))
    if target.https is not None:
        h.append(("ts-https", "true" if target.https else "false"))
    if metric is not None:
        h.append(("ts-metric-service", metric.service))
        if metric.dimension_name and metric.dimension_value:
            h.append(("ts-metric-dimension-name", metric.dimension_name))
            h.append(("ts-metric-dimension-value", metric.dimension_value))
    if diagnose:
        h.append(("ts-diagnose", "true"))
    return h


def _caller_headers(headers: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]]) -> list:
    items = headers.items() if isinstance(headers, Mapping) else (headers or [])
    out: dict = {}
    for raw_name, value in items:
        name = raw_name.lower()
        if not _HEADER_NAME.match(name):
            raise RequestError(f"invalid header name {raw_name!r}")
        if re.search(r"[\r\n\0]", value):
            raise RequestError(f"header {raw_name} holds CR, LF or NUL")
        if name in UNFORWARDABLE:
            raise RequestError(f"tsproxy never forwards {name} to a target")
        if name == "content-length":
            continue  # framed from the body
        if name.startswith("ts-") and name[3:] not in MOVED_HEADERS:
            raise RequestError(f"{name} is tsproxy's own header; set the target and metric options instead")
        sent = f"ts-{name}" if name in MOVED_HEADERS else name
        if sent in out:
            raise RequestError(f"header {sent} given twice")
        out[sent] = value
    return list(out.items())


def build_signed_request(
    url: str,
    region: str,
    credentials: Credentials,
    target: ProxyTarget,
    now: datetime.datetime,
    method: str = "GET",
    path: str = "/",
    query: Optional[QueryInput] = None,
    headers: Optional[Union[Mapping[str, str], Iterable[Tuple[str, str]]]] = None,
    body: Union[bytes, str, None] = None,
    metric: Optional[ProxyMetric] = None,
    diagnose: bool = False,
) -> SignedRequest:
    """The signed request, byte for byte; the same input always gives the same output. `diagnose` asks for
    a diagnosis of the target instead of its answer (ts-diagnose: true, docs/PROTOCOLS.md section 1.6)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RequestError(f"unsupported URL {url}")
    method = method.upper()
    if "?" in path:
        if query is not None:
            raise RequestError("the path holds a query and query is given too")
        path, _, query = path.partition("?")
    query_string = encode_query(query)
    sent_path = encode_path(path) + (f"?{query_string}" if query_string else "")
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")

    host = parts.netloc.rpartition("@")[2]
    signed = _caller_headers(headers) + _target_headers(target, metric, diagnose)
    # No x-amz-content-sha256 of our own: the signature then covers the SHA-256 of the body as received.
    signed.append(("host", host))
    if data or method in ("POST", "PUT", "PATCH"):
        signed.append(("content-length", str(len(data))))

    request = AWSRequest(method=method, url=f"{parts.scheme}://{host}{sent_path}", data=data, headers=dict(signed))
    _sign(request, credentials, region, now)

    port = parts.port or (443 if parts.scheme == "https" else 80)
    return SignedRequest(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        method=method,
        path=sent_path,
        headers=tuple((k.lower(), v) for k, v in request.headers.items()),
        body=data,
    )
