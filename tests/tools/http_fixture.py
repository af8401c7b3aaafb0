#!/usr/bin/python3
"""http_fixture: a local HTTP server for the tests of fs-produce's live sources.

usage: http_fixture.py DATA_DIR PORT_FILE LOG_FILE

It listens on 127.0.0.1, on a port the system picks, writes the port to
PORT_FILE, and serves until it is killed. It uses Python's standard
library only.

A request's first path segment picks a scenario and names its state:
"/flaky.t1/api/states/all" plays the "flaky" scenario with counters of
its own under "flaky.t1", so each test starts afresh by using a new tag.
Under a scenario, ".../token" is an OAuth2 token endpoint (client
credentials grant), ".../states/all" the OpenSky API and
".../aircraft.json" a readsb receiver. Bodies are the real recorded
responses in DATA_DIR.

The scenarios:
  ok         states: the recorded response; no authentication needed
  auth       token endpoint; states need a valid bearer token
  expire     as auth, but tokens live 2 s and are refused after that
  revoke     as auth, but the first token issued is refused (401)
  deny       as auth, but states are always refused (401)
  badcreds   the token endpoint refuses every request (401)
  ratelimit  states: first 429 with X-Rate-Limit-Retry-After-Seconds: 2
  flaky      states: 500, then 503, then the recorded response
  down       everything: 500
  hang       the body never ends (the client must time out)
  hangonce   the first request hangs, then the recorded response
  malformed  not JSON, truncated JSON, "states" not an array, then good
  changing   from the second request on, 3 states have a new position time
  gzip       states: the recorded response, gzip-compressed when the client
             accepts gzip
  echo       as auth, but states answer 502 with a body that echoes the
             request's Authorization header and the client secret
  echook     as echo, but with 200 and a body that is not JSON
  readsb     aircraft.json: the recorded receiver file
  readsbmove as readsb; from the second request on, "now" is 1 s later
             and every age 1 s more, except 2 aircraft with new positions

The expected client id and secret come from the environment
(FIXTURE_CLIENT_ID, FIXTURE_CLIENT_SECRET), never from argv. Every
request is logged to LOG_FILE as one JSON line: the time, scenario key,
method, path, query, Authorization and Accept-Encoding headers, status, and for token
requests whether each form field was right (never the secret itself).
A CONNECT (a client using this server as its proxy) is logged and
refused with 403.
"""

import gzip
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA, PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
CLIENT_ID = os.environ.get("FIXTURE_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("FIXTURE_CLIENT_SECRET", "")

with open(os.path.join(DATA, "opensky-states-denver.json"), "rb") as f:
    STATES = f.read()
with open(os.path.join(DATA, "readsb-aircraft-london.json"), "rb") as f:
    AIRCRAFT = f.read()

lock = threading.Lock()
counts = {}     # scenario key -> requests so far, by endpoint kind
tokens = {}     # token -> (scenario key, time issued, number)
log_file = open(LOG_FILE, "a", encoding="utf-8")


def changed_states():
    """The recorded response with the first 3 states 5 s newer."""
    doc = json.loads(STATES)
    for s in doc["states"][:3]:
        s[3] += 5
        s[4] += 5
    return json.dumps(doc).encode()


def moved_aircraft():
    """The receiver file 1 s later: every age 1 s more, but 2 fresh positions."""
    doc = json.loads(AIRCRAFT)
    doc["now"] = round(doc["now"] + 1, 1)
    fresh = 0
    for a in doc["aircraft"]:
        for k in ("seen", "seen_pos"):
            if k in a:
                a[k] = round(a[k] + 1, 1)
        if "lat" in a and fresh < 2:
            a["seen_pos"] = 0.1
            a["lat"] = round(a["lat"] + 0.01, 6)
            fresh += 1
    return json.dumps(doc).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, key, status, **extra):
        u = urllib.parse.urlsplit(self.path)
        entry = {"t": time.time(), "key": key, "method": self.command,
                 "path": u.path, "query": u.query,
                 "auth": self.headers.get("Authorization"),
                 "accept_encoding": self.headers.get("Accept-Encoding"), "status": status}
        entry.update(extra)
        with lock:
            log_file.write(json.dumps(entry) + "\n")
            log_file.flush()

    def reply(self, key, status, body, headers=None, **extra):
        self.record(key, status, **extra)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def hang(self, key):
        self.record(key, 200, hang=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(STATES)))
        self.end_headers()
        self.wfile.write(STATES[:100])
        self.wfile.flush()
        time.sleep(30)

    def do_CONNECT(self):
        self.record("proxy", 403, target=self.path)
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        key, scenario, rest = self.route()
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8", "replace"),
                                     keep_blank_values=True)
        if not rest.endswith("/token"):
            return self.reply(key, 404, b'{"error":"not found"}')
        checks = {
            "content_type": self.headers.get("Content-Type"),
            "grant_ok": form.get("grant_type") == ["client_credentials"],
            "id_ok": form.get("client_id") == [CLIENT_ID],
            "secret_ok": form.get("client_secret") == [CLIENT_SECRET],
        }
        if scenario == "down":
            return self.reply(key, 500, b"<html>internal error</html>", **checks)
        if scenario == "badcreds" or not (checks["grant_ok"] and checks["id_ok"]
                                          and checks["secret_ok"]):
            body = json.dumps({"error": "unauthorized_client",
                               "error_description": "Invalid client or Invalid client credentials"})
            return self.reply(key, 401, body.encode(), **checks)
        with lock:
            counts.setdefault(key + "/token", 0)
            counts[key + "/token"] += 1
            number = counts[key + "/token"]
            token = "tok-%s-%d" % (key, number)
            tokens[token] = (key, time.time(), number)
        life = 2 if scenario == "expire" else 1800
        body = json.dumps({"access_token": token, "expires_in": life,
                           "refresh_expires_in": 0, "token_type": "Bearer",
                           "not-before-policy": 0, "scope": "email profile"})
        self.reply(key, 200, body.encode(), **checks)

    def do_GET(self):
        key, scenario, rest = self.route()
        with lock:
            counts.setdefault(key, 0)
            counts[key] += 1
            n = counts[key]
        if rest.endswith("/aircraft.json"):
            if scenario == "down":
                return self.reply(key, 500, b"<html>internal error</html>")
            body = moved_aircraft() if scenario == "readsbmove" and n >= 2 else AIRCRAFT
            return self.reply(key, 200, body)
        if not rest.endswith("/states/all"):
            return self.reply(key, 404, b'{"error":"not found"}')
        if scenario in ("echo", "echook"):
            body = ("client_secret=%s; Authorization: %s; proxy error" %
                    (CLIENT_SECRET, self.headers.get("Authorization") or "")).encode()
            return self.reply(key, 502 if scenario == "echo" else 200, body)
        if scenario in ("auth", "expire", "revoke", "deny", "badcreds"):
            auth = self.headers.get("Authorization") or ""
            tok = tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            ok = tok is not None and tok[0] == key
            if ok and scenario == "expire" and time.time() - tok[1] > 2:
                ok = False
            if ok and scenario == "revoke" and tok[2] == 1:
                ok = False
            if not ok or scenario == "deny":
                return self.reply(key, 401, b'{"error":"unauthorized"}')
        remaining = {"X-Rate-Limit-Remaining": str(max(0, 400 - n))}
        if scenario == "ratelimit" and n == 1:
            return self.reply(key, 429, b'{"error":"too many requests"}',
                              {"X-Rate-Limit-Retry-After-Seconds": "2",
                               "X-Rate-Limit-Remaining": "0"})
        if scenario == "flaky" and n <= 2:
            return self.reply(key, 500 if n == 1 else 503, b"<html>try again</html>")
        if scenario == "down":
            return self.reply(key, 500, b"<html>internal error</html>")
        if scenario == "hang" or (scenario == "hangonce" and n == 1):
            return self.hang(key)
        if scenario == "malformed" and n <= 3:
            body = [b"<html><body>Bad Gateway</body></html>", STATES[:200],
                    b'{"time": 1615141830, "states": "none"}'][n - 1]
            return self.reply(key, 200, body)
        if scenario == "changing" and n >= 2:
            return self.reply(key, 200, changed_states(), remaining)
        if scenario == "gzip" and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            return self.reply(key, 200, gzip.compress(STATES),
                              {"Content-Encoding": "gzip"}, gzipped=True)
        self.reply(key, 200, STATES, remaining)

    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        parts = path.split("/", 2)
        key = parts[1] if len(parts) > 1 else ""
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        return key, key.split(".")[0], rest


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = PORT_FILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, PORT_FILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
