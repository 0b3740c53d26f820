"""fake_s3edge.py - a tiny S3 for what s3rver cannot show: it records
every request (for the SigV4 check), and can be slow, flaky or corrupt.

In-memory objects: PUT /b/k stores (ETag = MD5 hex), GET answers them,
DELETE removes, GET /b?list-type=2&prefix= lists (ListObjectsV2 XML),
PUT /b creates, HEAD /b answers 200. Virtual-host style requests
(Host: b.localhost) address the same bucket.
  --capture FILE   append each request as one JSON line: method, raw
                   path (with query), headers, body (base64)
  --delay S        wait S seconds before every answer
  --fail-first N   answer the first N requests 503 SlowDown
  --corrupt        GET answers a body that does not match its ETag
  --page-size N    LIST pages of N keys (NextContinuationToken)
"""
import base64
import hashlib
import json
import threading
import time
import xml.sax.saxutils as xu

import fakelib


class S3Handler(fakelib.Handler):
    opts = None
    objects = {}
    lock = threading.Lock()
    count = 0

    def record(self):
        if not self.opts.capture:
            return
        rec = {"method": self.command, "path": self.path,
               "headers": [[k, v] for k, v in self.headers.items()],
               "body": base64.b64encode(self.body()).decode()}
        with self.lock, open(self.opts.capture, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def route(self, method):
        self.record()
        with self.lock:
            S3Handler.count += 1
            n = S3Handler.count
        if self.opts.delay:
            time.sleep(self.opts.delay)
        if n <= self.opts.fail_first:
            return 503, "<Error><Code>SlowDown</Code></Error>", \
                {"Content-Type": "application/xml"}
        path, q = self.split()
        host = self.headers.get("Host", "").split(":")[0]
        if host.endswith(".localhost"):  # virtual-host style
            path = "/" + host[:-len(".localhost")] + path
        parts = path.lstrip("/").split("/", 1)
        if len(parts) == 1 or parts[1] == "":
            return self.bucket(method, q)
        return self.obj(method, parts[1])

    def bucket(self, method, q):
        if method != "GET":
            return 200, b"", None
        prefix = q.get("prefix", [""])[0]
        keys = sorted(k for k in self.objects if k.startswith(prefix))
        token = q.get("continuation-token", [""])[0]
        if token:
            after = base64.urlsafe_b64decode(token).decode()
            keys = [k for k in keys if k > after]
        page = self.opts.page_size or len(keys) or 1
        more, keys = len(keys) > page, keys[:page]
        items = "".join("<Contents><Key>%s</Key></Contents>" % xu.escape(k)
                        for k in keys)
        nxt = ("<NextContinuationToken>%s</NextContinuationToken>" %
               base64.urlsafe_b64encode(keys[-1].encode()).decode()
               if more else "")
        xml = ("<ListBucketResult><KeyCount>%d</KeyCount>"
               "<IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>"
               % (len(keys), "true" if more else "false", nxt, items))
        return 200, xml, {"Content-Type": "application/xml"}

    def obj(self, method, key):
        if method == "PUT":
            data = self.body()
            self.objects[key] = data
            return 200, b"", {"ETag": '"%s"' % hashlib.md5(data).hexdigest()}
        if method == "DELETE":
            self.objects.pop(key, None)
            return 204, b"", None
        data = self.objects.get(key)
        if data is None:
            return 404, "<Error><Code>NoSuchKey</Code></Error>", \
                {"Content-Type": "application/xml"}
        etag = hashlib.md5(data).hexdigest()
        if self.opts.corrupt:
            data = data[:-1] + b"X"
        return 200, data, {"ETag": '"%s"' % etag,
                           "Content-Type": "application/octet-stream"}


def main():
    p = fakelib.arg_parser("fake S3 edge cases")
    p.add_argument("--capture")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--page-size", type=int, default=0)
    args = p.parse_args()
    S3Handler.opts = args
    fakelib.serve(S3Handler, args)


if __name__ == "__main__":
    main()
