#!/usr/bin/env python3
"""The tree's shape, checked: files that fit in a head, dependencies that
run one way.

  check_layout.py SOURCE_DIR [BUILD_DIR]

1. No source file in core/, plugins/ or sdk/ is over MAX_LINES lines.
2. No include cycle: a module is a .c file and the .h of the same name
   beside it; module A depends on B when A's .c or .h includes B's .h
   (project headers only). Any strongly connected group of two or more
   modules is a cycle; so is one of two or more of core/'s folders.
3. No call cycle (with BUILD_DIR): for every object file the build made
   from core/, plugins/ or sdk/, A depends on B when A uses a symbol B
   defines (nm). A shared header cannot hide a cycle from this one.

Exit 0 when all hold; 1 with one line per violation otherwise.
"""
import os
import re
import subprocess
import sys

MAX_LINES = 800
ROOTS = ("core", "plugins", "sdk")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(src):
    for root in ROOTS:
        for d, _, files in os.walk(os.path.join(src, root)):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def module_of(path, src):
    return os.path.splitext(os.path.relpath(path, src))[0]


def sccs(graph):
    """Tarjan's algorithm, iterative; returns the components of size > 1."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def describe(comp, graph, why):
    lines = []
    members = set(comp)
    for a in comp:
        for b in sorted(graph.get(a, ())):
            if b in members:
                lines.append("    %s -> %s%s" % (a, b, why(a, b)))
    return "\n".join(lines)


def check_sizes(src):
    bad = []
    for path in sorted(sources(src)):
        with open(path, encoding="utf-8", errors="replace") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            bad.append("%s: %d lines (at most %d; split it along a real seam)"
                       % (os.path.relpath(path, src), n, MAX_LINES))
    return bad


def check_includes(src):
    files = list(sources(src))
    known = {os.path.relpath(p, src): p for p in files}
    graph = {}
    for path in files:
        me = module_of(path, src)
        graph.setdefault(me, set())
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            # Resolved as the compiler does: beside the file, then core/.
            for base in (os.path.dirname(path), os.path.join(src, "core")):
                cand = os.path.normpath(os.path.relpath(os.path.join(base, inc), src))
                if cand in known:
                    other = module_of(known[cand], src)
                    if other != me:
                        graph[me].add(other)
                    break
    # The same graph between core/'s folders: a folder uses only folders
    # that never use it back (core/README.md lists them top down).
    folders = {}
    for a, outs in graph.items():
        fa = folder_of(a)
        for b in outs:
            fb = folder_of(b)
            if fa and fb and fa != fb:
                folders.setdefault(fa, set()).add(fb)
    return (["include cycle:\n" + describe(c, graph, lambda a, b: "")
             for c in sccs(graph)] +
            ["folder cycle:\n" + describe(c, folders, lambda a, b: "")
             for c in sccs(folders)])


def folder_of(module):
    """core/<folder> of a module in core/, else None."""
    parts = module.split(os.sep)
    return os.sep.join(parts[:2]) if parts[0] == "core" and len(parts) > 2 else None


def objects(build, src):
    for d, _, files in os.walk(build):
        for f in files:
            if not f.endswith(".o"):
                continue
            path = os.path.join(d, f)
            m = re.search(r"CMakeFiles/[^/]+\.dir/(.*)\.c\.o$", path)
            if not m:
                continue
            rel = m.group(1)
            # The object's source path below its CMake directory.
            owner = os.path.relpath(d[:d.index("CMakeFiles")], build)
            source = os.path.normpath(os.path.join(owner, rel))
            # Objects of files since moved or deleted are left-overs.
            if source.split(os.sep)[0] in ROOTS and \
                    os.path.exists(os.path.join(src, source + ".c")):
                yield source, path


def symbols(paths):
    """{object path: (defined symbols, used symbols)}, from one nm run."""
    out = {p: (set(), set()) for p in paths}
    if not paths:
        return out
    # -A prefixes each line with "file:", -P prints "name type value size".
    text = subprocess.run(["nm", "-A", "-P", *paths], capture_output=True,
                          text=True, check=True).stdout
    for line in text.splitlines():
        head, _, rest = line.partition(": ")
        fields = rest.split()
        if head not in out or len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind == "U":
            out[head][1].add(name)
        elif kind.isupper():  # global definitions only; lower case is local
            out[head][0].add(name)
    return out


def check_calls(build, src):
    first = {}
    for source, path in objects(build, src):
        first.setdefault(source, path)  # the same file in two targets: once
    syms = symbols(list(first.values()))
    defined, used = {}, {}
    for source, path in first.items():
        for sym in syms[path][0]:
            defined.setdefault(sym, set()).add(source)
        used[source] = syms[path][1]
    graph = {}
    via = {}
    for source, syms in used.items():
        graph.setdefault(source, set())
        for sym in syms:
            for other in defined.get(sym, ()):
                if other != source:
                    graph[source].add(other)
                    via.setdefault((source, other), []).append(sym)
    return ["call cycle:\n" + describe(
        c, graph, lambda a, b: "  (%s)" % ", ".join(sorted(via[(a, b)])[:4]))
        for c in sccs(graph)]


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    src = sys.argv[1]
    bad = check_sizes(src) + check_includes(src)
    if len(sys.argv) == 3:
        if not any(True for _ in objects(sys.argv[2], src)):
            print("no object files under %s: build first" % sys.argv[2])
            return 1
        bad += check_calls(sys.argv[2], src)
    for line in bad:
        print(line)
    print("layout: %d problem(s)" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
