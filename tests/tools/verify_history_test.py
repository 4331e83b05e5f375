#!/usr/bin/env python3
"""ctest `verify_history`: tools/verify-history.py against the real server.

Starts `leadbase serve` (the real binary, a fresh data dir, a free loopback
port, sync on), ingests a signup with every personal field, downloads
GET /v1/leads/{id}/history?include=stored and runs the script on it (exit 0).
Erases the lead and downloads it again: the chain still verifies, and neither
the stored bytes nor the document hold any erased value in plaintext. Then it
damages copies of the downloaded document (a byte of one event's stored bytes
flipped, the last event dropped, two events swapped, the head's hash changed)
and checks that the script exits 1 naming the first bad version, and exits 2
for a history downloaded without include=stored.

Usage: verify_history_test.py LEADBASE_BIN   (Python 3 standard library only)
"""
import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "verify-history.py"
INGEST, AUDIT, ADMIN = "dev-platform-token-0001", "dev-auditor-token-0001", "dev-admin-token-0001"
CONFIG = """# written by tests/tools/verify_history_test.py
data_dir = "{data}"
listen = "127.0.0.1:8080"  # overridden by --listen

[auth]
tokens = [
  {{ name = "platform", token = "{ingest}", scopes = ["ingest"] }},
  {{ name = "auditor", token = "{audit}", scopes = ["read", "audit"] }},
  {{ name = "admin", token = "{admin}", scopes = ["admin", "read", "audit", "metrics"] }},
]

[durability]
sync = true
"""
# Distinct, long values: none can turn up in sealed bytes by chance.
PERSONAL = {
    "email": "verify.history.person@exemplo-auditoria.com.br",
    "name": "Verificacao Historico Pessoa Unica",
    "phone": "+5511987654321",
    "document": "39053344705",
}
HANDLE = "verify_history_handle_unique"

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, root):
        self.root = root
        data = root / "data"
        self.config = root / "leadbase.toml"
        self.config.write_text(CONFIG.format(data=data, ingest=INGEST, audit=AUDIT, admin=ADMIN))
        self.port = free_port()
        self.err = open(root / "server.stderr", "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(self.config), "--data", str(data), "--listen",
             f"127.0.0.1:{self.port}"], stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not start:\n" + (root / "server.stderr").read_text(errors="replace"))

    def request(self, method, path, token=None, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def verify(doc, root, name):
    """Runs the script on `doc` written to a file; returns (exit code, output)."""
    path = root / f"{name}.json"
    path.write_text(json.dumps(doc))
    r = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def download(server, lead, stored=True):
    status, body = server.request("GET", f"/v1/leads/{lead}/history" + ("?include=stored" if stored else ""), AUDIT)
    if status != 200:
        raise RuntimeError(f"history of {lead}: {status} {body[:500]!r}")
    return json.loads(body), body


def wait_for_events(server, lead, n):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        doc, _ = download(server, lead)
        if len(doc["events"]) >= n:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{lead} did not reach {n} events")


def plaintext_in(blob):
    values = list(PERSONAL.values()) + [HANDLE]
    return [v for v in values if v.encode() in blob]


def expect_broken(doc, root, name, version):
    code, out = verify(doc, root, name)
    check(code == 1 and f"first bad version {version}:" in out,
          f"{name}: exit 1 naming first bad version {version} (got exit {code}: {out.strip()})")


def tamper_cases(doc, root):
    n = len(doc["events"])
    check(n >= 3, f"the erased lead has at least 3 events to tamper with (has {n})")
    if n < 3:
        return
    flipped = json.loads(json.dumps(doc))
    raw = bytearray(base64.b64decode(flipped["events"][1]["stored"]))
    raw[len(raw) // 2] ^= 0x01
    flipped["events"][1]["stored"] = base64.b64encode(bytes(raw)).decode()
    expect_broken(flipped, root, "flipped-byte", 2)

    dropped = json.loads(json.dumps(doc))
    dropped["events"].pop()
    expect_broken(dropped, root, "dropped-last", n)

    swapped = json.loads(json.dumps(doc))
    swapped["events"][1], swapped["events"][2] = swapped["events"][2], swapped["events"][1]
    expect_broken(swapped, root, "reordered", 2)

    rehashed = json.loads(json.dumps(doc))
    rehashed["head"]["hash"] = "0" * 64
    expect_broken(rehashed, root, "head-hash", n)


def run(binary, root):
    server = Server(binary, root)
    try:
        lead = "u-verify-history-1"
        signup = {"event_id": "sg-verify-history-1", "lead_id": lead, "occurred_at": "2026-11-28T12:00:00.000Z",
                  **PERSONAL, "social": {"instagram": HANDLE}}
        status, body = server.request("POST", "/v1/signups", INGEST, signup)
        check(status == 202, f"signup accepted (got {status} {body[:200]!r})")
        wait_for_events(server, lead, 2)  # signed_up and what the server derives from it

        doc, body = download(server, lead)
        check(doc.get("integrity") == "verified" and "head" in doc, "include=stored: verified, with a head")
        check(all("stored" in e for e in doc["events"]), "include=stored: every event has its stored bytes")
        code, out = verify(doc, root, "before-erasure")
        check(code == 0, f"the script verifies the live lead's history (exit {code}: {out.strip()})")
        stored = b"".join(base64.b64decode(e["stored"]) for e in doc["events"])
        check(not plaintext_in(stored), f"stored bytes hold no personal value in plaintext ({plaintext_in(stored)})")
        plain_doc, _ = download(server, lead, stored=False)
        check("stored" not in json.dumps(plain_doc) and "head" not in plain_doc, "without include: no stored, no head")
        code, out = verify(plain_doc, root, "without-stored")
        check(code == 2, f"a history without include=stored: exit 2 (got {code}: {out.strip()})")
        status, _ = server.request("GET", f"/v1/leads/{lead}/history?include=everything", AUDIT)
        check(status == 422, f"include=everything: 422 (got {status})")

        status, body = server.request("POST", f"/v1/leads/{lead}/erase", ADMIN, {"reason": "verify_history test"})
        check(status == 200, f"erase answered 200 (got {status} {body[:200]!r})")
        doc, body = download(server, lead)
        check(doc["events"][-1]["type"] == "erased", "the history ends with erased")
        code, out = verify(doc, root, "after-erasure")
        check(code == 0, f"the erased lead's history still verifies (exit {code}: {out.strip()})")
        stored = b"".join(base64.b64decode(e["stored"]) for e in doc["events"])
        check(not plaintext_in(stored), f"after erasure: no erased value in the stored bytes ({plaintext_in(stored)})")
        check(not plaintext_in(body), f"after erasure: no erased value in the document ({plaintext_in(body)})")
        tamper_cases(doc, root)
    finally:
        server.stop()


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = pathlib.Path(tempfile.mkdtemp(prefix="verify-history-test."))
    try:
        run(os.path.realpath(argv[1]), root)
    except Exception as e:  # the server or a request failed: say so, keep the files
        failures.append(str(e))
        print(f"FAIL {e}\n(files kept in {root})", file=sys.stderr)
        return 1
    if failures:
        print(f"{len(failures)} check(s) failed (files kept in {root})", file=sys.stderr)
        return 1
    shutil.rmtree(root, ignore_errors=True)
    print("verify_history: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
