#!/usr/bin/env python3
"""Size limits of the source tree (ctest `sizes`):

  - no source file over 600 lines (C++, scripts, CMake, the console page);
  - no production function over 80 lines (C++ outside tests/, fuzz/ and
    benchmarks/; extents from universal-ctags).

Exceptions are listed in scripts/size-allowlist.txt, one a line with its reason:

    path/to/file.cpp             why this file is long
    path/to/file.cpp:function    why this function is long   (name as ctags scopes it)

An entry that is no longer needed (the file or function is within the limit, or
gone) fails the check too, so the list only shrinks with the code. README.md
("Size limits") lists the same exceptions for readers; the check fails when the
two lists differ.

Usage: scripts/check-size.py [--list]   (--list prints every file and function
over its limit, allowed or not, as allow-list lines to start from)
Exit: 0 when every limit holds, 1 otherwise, 2 when ctags is missing.
"""
import json
import os
import shutil
import subprocess
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
SOURCE_ENDINGS = (".cpp", ".hpp", ".h", ".sh", ".py", ".cmake", ".html", ".js", ".mjs", ".fbs")
SOURCE_NAMES = ("CMakeLists.txt",)
CXX_ENDINGS = (".cpp", ".hpp", ".h")
NOT_PRODUCTION = ("tests/", "fuzz/", "benchmarks/")
ALLOW_LIST = "scripts/size-allowlist.txt"
README = "README.md"
README_SECTION = "## Size limits"

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def source_files():
    """Tracked and untracked-but-not-ignored files, as git sees the work tree."""
    out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                         check=True, capture_output=True, text=True).stdout
    files = [f for f in out.splitlines() if os.path.isfile(os.path.join(root, f))]
    return sorted(f for f in files if f.endswith(SOURCE_ENDINGS) or os.path.basename(f) in SOURCE_NAMES)


def line_count(path):
    with open(os.path.join(root, path), "rb") as f:
        return sum(1 for _ in f)


def long_functions(cxx_files):
    """{"path:scope::name": lines} for every function definition over the limit."""
    if not cxx_files:
        return {}
    cmd = ["ctags", "--languages=C++", "--map-C++=+.h", "--kinds-C++=f", "--fields=+neZ",
           "--output-format=json", "-o", "-", "-L", "-"]
    out = subprocess.run(cmd, cwd=root, input="\n".join(cxx_files), check=True,
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        tag = json.loads(line)
        if tag.get("_type") != "tag" or "end" not in tag or tag["name"].startswith("__anon"):
            continue  # lambdas are counted as part of the function that holds them
        lines = tag["end"] - tag["line"] + 1
        if lines <= MAX_FUNCTION_LINES:
            continue
        # Anonymous namespaces' names are ctags hashes: left out of the scope.
        scope = "::".join(s for s in tag.get("scope", "").split("::") if s and not s.startswith("__anon"))
        name = f"{scope}::{tag['name']}" if scope else tag["name"]
        key = f"{tag['path']}:{name}"
        found[key] = max(lines, found.get(key, 0))
    return found


def read_allow_list():
    entries, problems = {}, []
    with open(os.path.join(root, ALLOW_LIST), encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            entry, _, reason = line.partition(" ")
            if not reason.strip():
                problems.append(f"{ALLOW_LIST}:{number}: {entry} has no reason")
            entries[entry] = reason.strip()
    return entries, problems


def readme_exceptions():
    """The first column of the table in README.md's "Size limits" section."""
    listed, inside = set(), False
    with open(os.path.join(root, README), encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line.strip() == README_SECTION
            elif inside and line.startswith("| `"):
                listed.add(line.split("`")[1])
    return listed


def main():
    if not shutil.which("ctags"):
        print("check-size: ctags is missing (scripts/install-deps.sh installs universal-ctags)", file=sys.stderr)
        return 2
    files = source_files()
    over = {f: n for f in files if (n := line_count(f)) > MAX_FILE_LINES}
    production_cxx = [f for f in files if f.endswith(CXX_ENDINGS) and not f.startswith(NOT_PRODUCTION)]
    over.update(long_functions(production_cxx))
    if "--list" in sys.argv[1:]:
        for key, n in sorted(over.items()):
            print(f"{key} ({n} lines)")
        return 0

    allowed, problems = read_allow_list()
    for key, n in sorted(over.items()):
        if key not in allowed:
            limit = MAX_FUNCTION_LINES if ":" in key else MAX_FILE_LINES
            what = "function" if ":" in key else "file"
            problems.append(f"{key}: {n} lines, over the {what} limit of {limit} (split it, or add it to {ALLOW_LIST} with a reason)")
    for key in sorted(allowed):
        if key not in over:
            problems.append(f"{ALLOW_LIST}: {key} is within its limit now (or gone): remove the entry")
    in_readme = readme_exceptions()
    for key in sorted(set(allowed) - in_readme):
        problems.append(f"{key} is in {ALLOW_LIST} but not in {README} ({README_SECTION})")
    for key in sorted(in_readme - set(allowed)):
        problems.append(f"{key} is in {README} ({README_SECTION}) but not in {ALLOW_LIST}")
    for p in problems:
        print(f"check-size: {p}", file=sys.stderr)
    if not problems:
        print(f"check-size: {len(files)} files checked: within {MAX_FILE_LINES} lines, production functions "
              f"within {MAX_FUNCTION_LINES}, but for {len(allowed)} listed exceptions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
