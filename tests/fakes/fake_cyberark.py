"""fake_cyberark.py - a loopback CyberArk (CCP and PVWA) for the tests.

CCP: GET /AIMWebService/api/Accounts?AppID=&Safe=&Object= answers
{"Content", "UserName", "Address", "Name", "PolicyID"}, or
403 {"ErrorCode": "APPAP227E", "ErrorMsg": ...} for an unknown AppID and
404 {"ErrorCode": "APPAP004E", ...} for a missing object.
PVWA: POST /PasswordVault/API/auth/CyberArk/Logon {username, password}
answers the session token as a JSON string (403 PASWS013E otherwise);
GET /PasswordVault/API/Accounts?search=&filter=safeName eq X answers
{"value": [{"id", "name", "userName", "safeName"}], "count"} (401
without a valid Authorization); POST /PasswordVault/API/Accounts/<id>/
Password/Retrieve answers the password as a JSON string.
Spec file (JSON): {"app_id", "pvwa_user", "pvwa_password",
 "accounts": [{"safe", "object", "id", "username", "password"}]}.
"""
import json
import secrets as pysecrets

import fakelib


class ArkHandler(fakelib.Handler):
    spec = {}
    sessions = set()

    def account(self, safe, obj):
        for a in self.spec.get("accounts", []):
            if a["safe"] == safe and a["object"] == obj:
                return a
        return None

    def route(self, method):
        path, q = self.split()
        one = {k: v[0] for k, v in q.items()}
        if method == "HEAD":
            return 200, b"", None
        if method == "GET" and path == "/AIMWebService/api/Accounts":
            return self.ccp(one)
        if (method == "POST" and
                path == "/PasswordVault/API/auth/CyberArk/Logon"):
            return self.logon()
        if self.headers.get("Authorization") not in self.sessions:
            return 401, {"ErrorCode": "PASWS006E",
                         "ErrorMessage": "Your session has expired. "
                                         "Please log in again."}, None
        if method == "GET" and path == "/PasswordVault/API/Accounts":
            return self.find(one)
        parts = path.split("/")
        if (method == "POST" and len(parts) == 7 and
                parts[-2:] == ["Password", "Retrieve"]):
            return self.retrieve(parts[4])
        return 404, {"ErrorCode": "PASWS041E",
                     "ErrorMessage": "Not found"}, None

    def ccp(self, q):
        if q.get("AppID") != self.spec["app_id"]:
            return 403, {"ErrorCode": "APPAP227E",
                         "ErrorMsg": "App ID is not authorized"}, None
        a = self.account(q.get("Safe"), q.get("Object"))
        if a is None:
            return 404, {"ErrorCode": "APPAP004E",
                         "ErrorMsg": "Password object matching query "
                                     "was not found"}, None
        return 200, {"Content": a["password"], "UserName": a["username"],
                     "Address": "10.0.0.1", "Name": a["object"],
                     "PolicyID": "UnixSSH", "Safe": a["safe"]}, None

    def logon(self):
        req = self.json_body() or {}
        if (req.get("username") != self.spec["pvwa_user"] or
                req.get("password") != self.spec["pvwa_password"]):
            return 403, {"ErrorCode": "PASWS013E",
                         "ErrorMessage": "Authentication failure for User "
                                         "[%s]." % req.get("username")}, None
        tok = pysecrets.token_hex(16)
        self.sessions.add(tok)
        return 200, json.dumps(tok), None

    def find(self, q):
        flt = q.get("filter", "")
        safe = flt[len("safeName eq "):] if flt.startswith("safeName eq ") \
            else None
        a = self.account(safe, q.get("search"))
        vals = [] if a is None else [{"id": a["id"], "name": a["object"],
                                      "userName": a["username"],
                                      "safeName": a["safe"]}]
        return 200, {"value": vals, "count": len(vals)}, None

    def retrieve(self, acc_id):
        for a in self.spec.get("accounts", []):
            if a["id"] == acc_id:
                return 200, json.dumps(a["password"]), None
        return 404, {"ErrorCode": "PASWS041E",
                     "ErrorMessage": "Account not found"}, None


def main():
    fakelib.main_with_spec(ArkHandler, "fake CyberArk")


if __name__ == "__main__":
    main()
