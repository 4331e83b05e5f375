#!/usr/bin/env python3
"""Checks a lead's hash chain with nothing but SHA-256: no leadbase needed.

Input: the document of GET /v1/leads/{lead_id}/history?include=stored (the
console's "export history" downloads it), from a file or standard input:

    tools/verify-history.py history.json
    curl -s -H "Authorization: Bearer $TOKEN" \
      "$BASE/v1/leads/ana/history?include=stored" | tools/verify-history.py -

For each event, oldest first: its prev_hash must be the previous event's hash
(64 zeros for the first), and its hash must be
    hex(SHA-256(bytes.fromhex(prev_hash) + base64-decoded stored bytes)).
Versions must run 1, 2, 3, ... with no gap.

Exit: 0 when every link holds; 1 at the first break (printed with the
version and what did not match); 2 when the input is not such a document.
Python 3 standard library only.
"""
import base64
import binascii
import hashlib
import json
import sys

ZERO_HASH = "0" * 64


def fail_input(message):
    print(f"verify-history: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail_input(f"cannot read a JSON document from {path}: {e}")


def check(doc):
    """Returns (ok, message)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        fail_input("not a history document (no \"events\" array)")
    lead = doc.get("lead_id", "?")
    previous = ZERO_HASH
    for index, event in enumerate(doc["events"]):
        if not isinstance(event, dict):
            fail_input(f"event {index} is not an object")
        version = event.get("version")
        where = f"lead {lead} version {version} (position {event.get('position')})"
        if "stored" not in event:
            fail_input(f"{where} has no \"stored\" bytes: download the history with ?include=stored")
        if version != index + 1:
            return False, f"{where}: expected version {index + 1}; an event is missing or out of order"
        if event.get("prev_hash") != previous:
            return False, f"{where}: prev_hash {event.get('prev_hash')} is not the previous event's hash {previous}"
        try:
            stored = base64.b64decode(event["stored"], validate=True)
            prev_raw = bytes.fromhex(previous)
        except (binascii.Error, ValueError, TypeError) as e:
            return False, f"{where}: stored bytes or prev_hash are not valid base64/hex: {e}"
        computed = hashlib.sha256(prev_raw + stored).hexdigest()
        if computed != event.get("hash"):
            return False, f"{where}: hash {event.get('hash')} does not match SHA-256 of its bytes, {computed}"
        previous = computed
    return True, f"lead {lead}: {len(doc['events'])} events, every link verified (head {previous})"


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    ok, message = check(load(argv[1]))
    print(("OK: " if ok else "BROKEN: ") + message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
