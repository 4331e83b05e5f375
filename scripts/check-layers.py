#!/usr/bin/env python3
"""Fails when a layer includes a layer above it (docs/design.md "Layers", README "Layout").

CMake gives every library the repository root as include path, so nothing else
stops `events/x.cpp` from including "http/y.hpp". The layers, lowest first:

    events <- storage <- projections, discovery <- audit, actors <- http <- app

A file may include its own folder and any folder of a lower rank. Two folders of
the same rank (projections and discovery; audit and actors) do not include each
other. Tests, benchmarks and fuzz targets may include anything.

ALLOWED lists the exceptions, each with its reason, as (file, included header).
An entry that no longer matches a violation is stale and fails the check too,
so the list only ever shrinks.

Usage: check-layers.py [REPO_ROOT]   (default: the parent of this script's folder)
       check-layers.py --self-test     (the check finds an upward include and a stale entry)
"""
import pathlib
import re
import sys
import tempfile

RANKS = {
    "events": 0,
    "storage": 1,
    "projections": 2,
    "discovery": 2,
    "audit": 3,
    "actors": 3,
    "http": 4,
    "app": 5,
}

# (including file, included header): why it may point up.
ALLOWED = {
}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def violations(root):
    found = set()
    for layer, rank in RANKS.items():
        folder = root / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h"):
                continue
            rel = path.relative_to(root).as_posix()
            for header in INCLUDE.findall(path.read_text(encoding="utf-8", errors="replace")):
                target = header.split("/", 1)[0]
                if "/" not in header or target not in RANKS or target == layer:
                    continue
                if RANKS[target] >= rank:
                    found.add((rel, header))
    return found


def check(root, allowed):
    """Prints every problem; returns their number."""
    found = violations(root)
    bad = sorted(found - allowed.keys())
    stale = sorted(allowed.keys() - found)
    for rel, header in bad:
        layer, target = rel.split("/", 1)[0], header.split("/", 1)[0]
        print(f'{rel}: includes "{header}": {layer} must not include {target} '
              f"(layers, lowest first: events, storage, projections|discovery, audit|actors, http, app)")
    for rel, header in stale:
        print(f'check-layers.py: stale allow-list entry ({rel}, {header}): the include is gone; remove the entry')
    if not bad and not stale:
        print(f"layers: {len(found)} allowed exception(s), no other include points up or sideways")
    return len(bad) + len(stale)


def self_test():
    """A tree with one upward include and an allow-list with one stale entry."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for folder in RANKS:
            (root / folder).mkdir()
        (root / "events" / "a.cpp").write_text('#include "projections/p.hpp"\n#include "events/b.hpp"\n')
        (root / "http" / "h.cpp").write_text('#include "storage/s.hpp"\n#include "app/x.hpp"\n')
        (root / "projections" / "p.cpp").write_text('#include "discovery/d.hpp"\n')
        expected = {("events/a.cpp", "projections/p.hpp"), ("http/h.cpp", "app/x.hpp"),
                    ("projections/p.cpp", "discovery/d.hpp")}
        if violations(root) != expected:
            print(f"self-test: found {sorted(violations(root))}, expected {sorted(expected)}")
            return 1
        allowed_all = {v: "test" for v in expected}
        if check(root, allowed_all) != 0:
            return 1
        stale = {**allowed_all, ("events/gone.cpp", "http/x.hpp"): "test"}
        if check(root, stale) != 1 or check(root, {}) != 3:
            print("self-test: a stale entry or a violation went unnoticed")
            return 1
    print("self-test: passed")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    if not (root / "events").is_dir():
        print(f"check-layers: {root} is not the repository root", file=sys.stderr)
        return 2
    return 1 if check(root, ALLOWED) else 0


if __name__ == "__main__":
    sys.exit(main())
