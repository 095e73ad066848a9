#!/usr/bin/env python3
"""One HTTP request signed with botocore's SigV4Auth, as an AWS SDK caller signs a Function URL request.

The request is signed for --service (lambda) in --region with the given key, then optionally spoiled
after signing (a header changed or dropped, a body byte flipped) or signed at a shifted clock, and sent
with http.client exactly as built. The answer's status and headers go to stdout ("status N", then one
"header name: value" line each), its body to --body-out.

usage: sigv4_request.py --url URL [--method M] [--header 'Name: value']... [--body-file F]
                        --access-key K --secret-key S [--session-token T] [--region R] [--service lambda]
                        [--date-offset SECONDS] [--after-signing-header 'Name: value']...
                        [--drop-after-signing NAME]... [--flip-body-byte] --body-out F
"""
import argparse
import datetime
import http.client
import sys
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def header_pair(text):
    name, _, value = text.partition(":")
    return name.strip(), value.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body-file")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--session-token")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--service", default="lambda")
    parser.add_argument("--date-offset", type=int, default=0)
    parser.add_argument("--after-signing-header", action="append", default=[])
    parser.add_argument("--drop-after-signing", action="append", default=[])
    parser.add_argument("--flip-body-byte", action="store_true")
    parser.add_argument("--body-out", required=True)
    args = parser.parse_args()

    body = b""
    if args.body_file:
        with open(args.body_file, "rb") as f:
            body = f.read()
    parts = urlsplit(args.url)
    headers = dict(header_pair(h) for h in args.header)
    headers["Host"] = parts.netloc
    request = AWSRequest(method=args.method, url=args.url, data=body, headers=headers)
    signer = SigV4Auth(Credentials(args.access_key, args.secret_key, args.session_token), args.service, args.region)
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(
        seconds=args.date_offset)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)

    sent = dict(request.headers.items())
    for text in args.after_signing_header:
        name, value = header_pair(text)
        for existing in [k for k in sent if k.lower() == name.lower()]:
            del sent[existing]
        sent[name] = value
    for name in args.drop_after_signing:
        for existing in [k for k in sent if k.lower() == name.lower()]:
            del sent[existing]
    if args.flip_body_byte and body:
        body = bytes([body[0] ^ 1]) + body[1:]

    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request(args.method, target, body=body if body or args.method not in ("GET", "HEAD") else None,
                       headers=sent)
    response = connection.getresponse()
    data = response.read()
    with open(args.body_out, "wb") as out:
        out.write(data)
    print("status %d" % response.status)
    for name, value in response.getheaders():
        print("header %s: %s" % (name, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
