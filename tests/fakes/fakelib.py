"""fakelib.py - shared plumbing of the loopback fake servers of the
integrations tests.

Binds a threading HTTP/1.1 server on 127.0.0.1 at the first free port of a
range, optionally wraps it in TLS, prints "READY <port>" on stdout (the C
test reads it), then serves until killed. Counts requests per
(method, path) and answers GET /__stats with the counts as JSON. Never
prints request contents: the fakes see secrets, their output must not.
Runs under /usr/bin/python3 (Debian). Owns nothing outside the process.
"""
import argparse
import http.server
import json
import socketserver
import ssl
import sys
import threading
import urllib.parse


class FakeServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    """Base handler: subclasses implement route(method) -> (code, body,
    headers) where body is bytes, str or a JSON-able object."""
    protocol_version = "HTTP/1.1"
    stats = {}
    stats_lock = threading.Lock()

    def log_message(self, fmt, *args):  # quiet: requests may hold secrets
        pass

    def body(self):
        if getattr(self, "_body", None) is None:
            n = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(n) if n else b""
        return self._body

    def split(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, urllib.parse.parse_qs(u.query, keep_blank_values=True)

    def json_body(self):
        try:
            return json.loads(self.body() or b"null")
        except ValueError:
            return None

    def reply(self, code, body=b"", headers=None):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        self._body = None
        path, _ = self.split()
        if path == "/__stats":
            with Handler.stats_lock:
                self.reply(200, dict(Handler.stats))
            return
        with Handler.stats_lock:
            key = self.command + " " + path
            Handler.stats[key] = Handler.stats.get(key, 0) + 1
        self.body()
        code, body, headers = self.route(self.command)
        self.reply(code, body, headers)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def arg_parser(desc):
    p = argparse.ArgumentParser(description=desc)
    p.add_argument("--ports", default="32000-32700",
                   help="FROM-TO: bind the first free port")
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM cert")
    p.add_argument("--tls-key", help="and this PEM key")
    return p


def serve(handler_cls, args):
    lo, hi = (int(x) for x in args.ports.split("-"))
    server = None
    for port in range(lo, hi + 1):
        try:
            server = FakeServer(("127.0.0.1", port), handler_cls)
            break
        except OSError:
            continue
    if server is None:
        print("NOPORT", flush=True)
        sys.exit(1)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("READY %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main_with_spec(handler_cls, desc):
    """Parses --ports/--tls-*/--spec, loads the JSON spec into
    handler_cls.spec and serves."""
    p = arg_parser(desc)
    p.add_argument("--spec", required=True)
    args = p.parse_args()
    with open(args.spec) as f:
        handler_cls.spec = json.load(f)
    serve(handler_cls, args)
