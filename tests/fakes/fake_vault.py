"""fake_vault.py - a loopback HashiCorp Vault for the integrations tests.

Implements the documented shapes of: GET /v1/auth/token/lookup-self,
POST /v1/auth/<approle>/login ({role_id, secret_id} -> auth.client_token),
GET /v1/<mount>/data/<path> (KV v2: data.data + data.metadata), with
403 {"errors": ["permission denied"]} for a wrong token and 404 for a
missing secret. Its valid token, AppRole pair and secrets come from a
JSON spec file (so no secret shows on a command line):
  {"token": "...", "role_id": "...", "secret_id": "...", "mount": "secret",
   "secrets": {"net/core": {"username": "ops", "password": "..."}}}
Not: policies, leases, KV v1, namespaces beyond accepting the header.
"""
import secrets as pysecrets

import fakelib


class VaultHandler(fakelib.Handler):
    spec = {}
    issued = set()

    def token_ok(self):
        tok = self.headers.get("X-Vault-Token", "")
        return tok == self.spec["token"] or tok in self.issued

    def route(self, method):
        path, _ = self.split()
        mount = self.spec.get("mount", "secret")
        if method == "POST" and path == "/v1/auth/approle/login":
            return self.login()
        if not self.token_ok():
            return 403, {"errors": ["permission denied"]}, None
        if method == "GET" and path == "/v1/auth/token/lookup-self":
            return 200, {"data": {"id": "hidden", "policies": ["default"],
                                  "ttl": 3600}}, None
        prefix = "/v1/%s/data/" % mount
        if method == "GET" and path.startswith(prefix):
            return self.read(path[len(prefix):])
        return 404, {"errors": []}, None

    def login(self):
        req = self.json_body() or {}
        if (req.get("role_id") != self.spec.get("role_id") or
                req.get("secret_id") != self.spec.get("secret_id")):
            return 400, {"errors": ["invalid role or secret ID"]}, None
        tok = "hvs." + pysecrets.token_hex(12)
        self.issued.add(tok)
        return 200, {"auth": {"client_token": tok, "lease_duration": 3600,
                              "renewable": True, "policies": ["default"]}}, \
            None

    def read(self, sub):
        data = self.spec.get("secrets", {}).get(sub)
        if data is None:
            return 404, {"errors": []}, None
        return 200, {"request_id": "r1", "lease_duration": 0,
                     "data": {"data": data,
                              "metadata": {"version": 1,
                                           "destroyed": False}}}, None


def main():
    fakelib.main_with_spec(VaultHandler, "fake Vault")


if __name__ == "__main__":
    main()
