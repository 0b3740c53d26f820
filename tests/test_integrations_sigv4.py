"""test_integrations_sigv4.py - checks requests flexnet's S3 client sent
(captured by tests/fakes/fake_s3edge.py) against botocore's SigV4 signer.

Usage: /usr/bin/python3 test_integrations_sigv4.py CAPTURE.jsonl REGION
with the key pair in FN_SIGV4_AK / FN_SIGV4_SK (not on the command line).

For every captured request: the Authorization header's credential scope,
that Host, x-amz-date, x-amz-content-sha256 (and Content-MD5 when there is
a body) are signed, that x-amz-content-sha256 and Content-MD5 match the
body actually sent, and that botocore's S3SigV4Auth, given the same
signed headers and timestamp, computes the same signature - and a
different one with a wrong secret. Prints one line per request and
"N passed, M failed"; exits non-zero on any failure or no request.
"""
import base64
import hashlib
import json
import os
import re
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                     r"s3/aws4_request, ?SignedHeaders=([^,]+), ?"
                     r"Signature=([0-9a-f]{64})$")


def botocore_signature(rec, hdrs, signed, region, ak, sk, body):
    host = hdrs["host"]
    req = AWSRequest(method=rec["method"], url="http://%s%s" % (host,
                                                               rec["path"]),
                     headers={h: hdrs[h] for h in signed}, data=body)
    req.context["timestamp"] = hdrs["x-amz-date"]
    auth = S3SigV4Auth(Credentials(ak, sk), "s3", region)
    canonical = auth.canonical_request(req)
    sts = auth.string_to_sign(req, canonical)
    return auth.signature(sts, req)


def check(rec, region, ak, sk):
    hdrs = {k.lower(): v for k, v in rec["headers"]}
    body = base64.b64decode(rec["body"])
    m = AUTH_RE.match(hdrs.get("authorization", ""))
    if not m:
        return "no SigV4 Authorization header"
    key, date, reg, signed, sig = m.groups()
    signed = signed.split(";")
    if key != ak or reg != region or not hdrs.get("x-amz-date",
                                                  "").startswith(date):
        return "bad credential scope %s/%s/%s" % (key, date, reg)
    need = ["host", "x-amz-date", "x-amz-content-sha256"]
    if body:
        need.append("content-md5")
    missing = [h for h in need if h not in signed]
    if missing:
        return "not signed: %s" % ",".join(missing)
    if hdrs["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 does not match the body"
    if body and hdrs["content-md5"] != \
            base64.b64encode(hashlib.md5(body).digest()).decode():
        return "Content-MD5 does not match the body"
    good = botocore_signature(rec, hdrs, signed, region, ak, sk, body)
    if good != sig:
        return "signature %s, botocore computes %s" % (sig, good)
    bad = botocore_signature(rec, hdrs, signed, region, ak, sk + "x", body)
    if bad == sig:
        return "a wrong secret gives the same signature"
    return None


def main():
    path, region = sys.argv[1], sys.argv[2]
    ak, sk = os.environ["FN_SIGV4_AK"], os.environ["FN_SIGV4_SK"]
    passed = failed = 0
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            err = check(rec, region, ak, sk)
            what = "%s %s" % (rec["method"], rec["path"])
            print("%s: %s" % (what, err or "signature verified"))
            passed += err is None
            failed += err is not None
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if passed and not failed else 1)


if __name__ == "__main__":
    main()
