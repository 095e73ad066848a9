"""tsproxy's caller client for Python: signs requests to tsproxy's Function URL (AWS_IAM) with botocore's
SigV4Auth, names the tailnet target in ts-* headers, and tells tsproxy's own errors from the target's
responses."""

from .client import DiagnoseRefused, ProxyError, ProxyResponse, TailscaleProxyClient, proxy_error_of, region_from_url
from .request_builder import (
    ProxyMetric,
    ProxyTarget,
    RequestError,
    SignedRequest,
    build_signed_request,
    encode_path,
    encode_query,
)

__all__ = [
    "DiagnoseRefused",
    "ProxyError",
    "ProxyMetric",
    "ProxyResponse",
    "ProxyTarget",
    "RequestError",
    "SignedRequest",
    "TailscaleProxyClient",
    "build_signed_request",
    "encode_path",
    "encode_query",
    "proxy_error_of",
    "region_from_url",
]
__version__ = "0.1.0"
