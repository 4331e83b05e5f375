#!/usr/bin/env python3
"""Checks a lead's hash chain with nothing but SHA-256: no leadbase needed.

Input: the document of GET /v1/leads/{lead_id}/history?include=stored (the
console's "export history" downloads it), from a file or standard input:

    tools/verify-history.py history.json
    curl -s -H "Authorization: Bearer $TOKEN" \
      "$BASE/v1/leads/ana/history?include=stored" | tools/verify-history.py -

The chain (storage/hash_chain.hpp): for each event, oldest first, its hash is
    hex(SHA-256(previous event's hash, its 32 raw bytes + the stored bytes))
with 32 zero bytes before version 1; `stored` is the base64 of exactly the
bytes the log keeps (personal fields sealed). The script recomputes every hash
from the stored bytes alone and checks, in order:
  - versions run 1, 2, 3, ... with no gap and no event out of place;
  - no event is a damaged entry (one the server could not read);
  - each event's prev_hash is the recomputed hash of the one before it (64
    zeros for the first);
  - each event's hash is the recomputed one;
  - the document's "head" (the lead's last version and hash, as the log keeps
    it) is the last event: without it, removing the newest events would leave
    a chain that still links.
The first bad version follows the server's rule (storage/chain_check.hpp): a
missing or misplaced version names the first one missing; a link that breaks
between v-1 and v names v-1, whose bytes no longer hash to what v recorded.

Exit: 0 when every link holds; 1 at the first break, printed as
"BROKEN: lead L: first bad version N: why"; 2 when the input is not such a
document (not JSON, no "events", no "stored" bytes or no "head": download it
with ?include=stored). Python 3 standard library only.
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


class Broken(Exception):
    """The first break: the version it names and why."""

    def __init__(self, version, why):
        super().__init__(why)
        self.version = version
        self.why = why


def recompute(previous, event, version):
    """The event's hash from the previous hash and its stored bytes."""
    try:
        stored = base64.b64decode(event["stored"], validate=True)
        prev_raw = bytes.fromhex(previous)
    except (binascii.Error, ValueError, TypeError) as e:
        raise Broken(version, f"stored bytes are not valid base64: {e}")
    return hashlib.sha256(prev_raw + stored).hexdigest()


def check_events(events):
    """Walks the chain; returns (last version, last hash) or raises Broken."""
    previous = ZERO_HASH
    for index, event in enumerate(events):
        expected = index + 1
        if not isinstance(event, dict):
            fail_input(f"event {index} is not an object")
        version = event.get("version")
        if event.get("damaged") is True:
            raise Broken(version if version is not None else expected,
                         f"the server could not read this event: {event.get('error')}")
        if "stored" not in event:
            fail_input(f"version {version} has no \"stored\" bytes: download the history with ?include=stored")
        if version != expected:
            raise Broken(expected, f"version {expected} is missing or out of place (found version {version} there)")
        if event.get("prev_hash") != previous:
            raise Broken(max(1, version - 1),
                         f"version {version} records prev_hash {event.get('prev_hash')}, "
                         f"but the stored bytes before it hash to {previous}")
        computed = recompute(previous, event, version)
        if computed != event.get("hash"):
            raise Broken(version, f"its stored bytes hash to {computed}, not to its hash {event.get('hash')}")
        previous = computed
    return len(events), previous


def check_head(head, last_version, last_hash):
    """The last event must be the lead's head (same version, same hash)."""
    if head is None:
        if last_version:
            raise Broken(1, "the lead has no head, yet the document lists events")
        return
    if not isinstance(head, dict) or not isinstance(head.get("version"), int):
        fail_input("\"head\" is not an object with a version")
    if head["version"] > last_version:
        raise Broken(last_version + 1, f"the head names version {head['version']}, "
                                       f"but the document ends at version {last_version}")
    if head["version"] < last_version:
        raise Broken(head["version"] + 1, f"the document goes on past the head's version {head['version']}")
    if head.get("hash") != last_hash:
        raise Broken(last_version, f"the head's hash {head.get('hash')} is not the last event's, {last_hash}")


def check(doc):
    """Returns (ok, message)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        fail_input("not a history document (no \"events\" array)")
    if "head" not in doc:
        fail_input("no \"head\": download the history with ?include=stored")
    lead = doc.get("lead_id", "?")
    try:
        last_version, last_hash = check_events(doc["events"])
        check_head(doc["head"], last_version, last_hash)
    except Broken as b:
        return False, f"lead {lead}: first bad version {b.version}: {b.why}"
    return True, f"lead {lead}: {last_version} events, every link verified (head {last_hash})"


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    ok, message = check(load(argv[1]))
    print(("OK: " if ok else "BROKEN: ") + message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
