"""Mutation testing of the collection's pure Python core with cosmic-ray (driven by scripts/mutation.sh).

Each file is mutated in its OWN COPY of the tree (.build/mutation/<file>/ansible_collections/mlinfra/gpu, a real
directory), so the checkout is never touched and two files run in parallel. The unit tests that can reach the file
(found through the import graph) run against the copy: the script first proves that the copy is what they import
(the module's __file__) and that a planted fault in the copy fails them (canary), then lets cosmic-ray apply each
mutant in turn. Score = killed / (killed + survived); mutants listed as equivalent in scripts/mutation.toml (or on a
line with `# pragma: no mutate: <reason>`) are excluded and counted apart.

Usage: scripts/mutation.py [--jobs N] [--timeout S] [--keep] [FILE...]
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "scripts" / "mutation.toml"
WORK = ROOT / ".build" / "mutation"
CANARY = "raise RuntimeError('scripts/mutation.py canary: the tests import this mutated copy')\n"
PRAGMA = re.compile(r"#\s*pragma:\s*no mutate\b(?P<rest>.*)$")
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:testinfra", "-x", "-q",
          "--no-header", "-o", "addopts=", "-W", "ignore::SyntaxWarning"]


def load_config():
    with open(CONFIG, "rb") as handle:
        return tomllib.load(handle)


# ---------------------------------------------------------------- extra operators (the mutation set)
def _extra_operators():
    """Operators cosmic-ray lacks: `return x` -> `return None`, min <-> max, any <-> all."""
    from parso.python.tree import Keyword  # pylint: disable=import-outside-toplevel
    from cosmic_ray.operators.operator import Example, Operator  # pylint: disable=import-outside-toplevel

    class ReturnNone(Operator):
        """`return <expr>` -> `return None` (unless <expr> already is None)."""

        def mutation_positions(self, node):
            if node.type == "return_stmt" and len(node.children) == 2:
                value = node.children[1]
                if not (value.type == "keyword" and value.value == "None"):
                    yield (value.start_pos, value.end_pos)

        def mutate(self, node, index):
            value = node.children[1]
            none = Keyword("None", value.start_pos, prefix=value.get_first_leaf().prefix)
            none.parent = node
            node.children[1] = none
            return node

        @classmethod
        def examples(cls):
            return (Example("def f():\n    return 1\n", "def f():\n    return None\n"),)

    def swap(pair):
        class SwapCall(Operator):
            """Swap a call of one builtin for its twin (min/max, any/all)."""

            def mutation_positions(self, node):
                if node.type == "name" and node.value in pair and node.parent is not None \
                        and node.parent.type in ("power", "atom_expr") and node.parent.children[0] is node:
                    trailer = node.parent.children[1]
                    if trailer.type == "trailer" and trailer.children[0].value == "(":
                        yield (node.start_pos, node.end_pos)

            def mutate(self, node, index):
                node.value = pair[1] if node.value == pair[0] else pair[0]
                return node

            @classmethod
            def examples(cls):
                return (Example("%s(a)" % pair[0], "%s(a)" % pair[1]),)
        return SwapCall

    return {"ReturnNone": ReturnNone, "SwapMinMax": swap(("min", "max")), "SwapAnyAll": swap(("any", "all"))}


def install_operators(skip):
    """Register the extra operators and hide the skipped ones from cosmic-ray (in this process)."""
    from cosmic_ray import plugins  # pylint: disable=import-outside-toplevel
    plugins.OPERATOR_PROVIDERS["mlinfra"] = _extra_operators()
    every = plugins.operator_names()
    used = tuple(name for name in every if not any(re.search(s["pattern"], name) for s in skip))
    plugins.operator_names = lambda: used
    return used


# ---------------------------------------------------------------- which tests can reach a file
def _imports(path):
    text = path.read_text(encoding="utf-8")
    names = set()
    for match in re.finditer(r"mlinfra\.gpu\.plugins\.\w+(?:\.(\w+)| import \(?([\w, \n]+)\)?)", text):
        if match.group(1):
            names.add(match.group(1))
        else:
            names.update(n.strip() for n in match.group(2).replace("\n", ",").split(",") if n.strip())
    return names


def tests_for(rel):
    """Unit test files that mention the file's module or any plugin that imports it (transitively)."""
    plugin_files = [p for p in (ROOT / "plugins").rglob("*.py") if p.name != "__init__.py"]
    importers = {}
    for path in plugin_files:
        for name in _imports(path):
            importers.setdefault(name, set()).add(path.stem)
    closure, todo = set(), [Path(rel).stem]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(importers.get(name, ()))
    words = re.compile(r"\b(%s)\b" % "|".join(sorted(re.escape(n) for n in closure)))
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "unit").rglob("test_*.py")
                   if words.search(p.read_text(encoding="utf-8")))
    return tests or ["tests/unit"]


# ---------------------------------------------------------------- one file (runs in a child process)
def copy_tree(rel):
    base = WORK / rel.replace("/", "_").replace(".py", "")
    dest = base / "ansible_collections" / "mlinfra" / "gpu"
    shutil.rmtree(base, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in files:
        src = ROOT / name
        if name and src.is_file() and not src.is_symlink() and (name.startswith(("plugins/", "tests/", "roles/", "playbooks/"))):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    for name in ("galaxy.yml", "meta/runtime.yml", "pytest.ini"):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return base, dest


def run(cmd, timeout):
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return 124, "timeout"
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


def exclusions(rel, source_lines, equivalent):
    """(pragma lines {line_no: reason}, [(line_no, operator, mutated line or None, function or None, reason)])."""
    pragmas, entries = {}, []
    for number, line in enumerate(source_lines, 1):
        match = PRAGMA.search(line)
        if match:
            reason = match.group("rest").lstrip(":").strip()
            if not reason:
                raise SystemExit("%s:%d: `# pragma: no mutate` without a reason" % (rel, number))
            pragmas[number] = reason
    for entry in equivalent:
        if entry["file"] != rel:
            continue
        if not entry.get("reason", "").strip():
            raise SystemExit("scripts/mutation.toml: equivalent entry without a reason: %r" % (entry,))
        hits = [n for n, line in enumerate(source_lines, 1) if line.strip() == entry["line"].strip()]
        if not hits:
            raise SystemExit("scripts/mutation.toml: equivalent entry for %s names a line that is not there: %r"
                             % (rel, entry["line"]))
        for number in hits:
            entries.append((number, entry["operator"], entry.get("mutant"), entry.get("function"), entry["reason"]))
    return pragmas, entries


def _excluded(mutation, source, pragmas, entries):
    """The reason when this mutant is declared equivalent, else None."""
    from cosmic_ray.mutating import mutate_code  # pylint: disable=import-outside-toplevel
    from cosmic_ray.plugins import get_operator  # pylint: disable=import-outside-toplevel
    line = mutation.start_pos[0]
    if line in pragmas:
        return pragmas[line]
    for number, operator, mutant, function, reason in entries:
        if number != line or operator != mutation.operator_name:
            continue
        if function is not None and (mutation.definition_name or "").split(".")[-1] != function:
            continue
        if mutant is None:
            return reason
        mutated = mutate_code(source, get_operator(operator)(**mutation.operator_args), mutation.occurrence)
        if mutated is not None and mutated.splitlines()[line - 1].strip() == mutant.strip():
            return reason
    return None


def mutate_one(rel, timeout, keep):
    """Mutate one file; returns a JSON-able dict with the counts and the survivors."""
    config = load_config()
    used = install_operators(config.get("skip_operators", []))
    from cosmic_ray.commands import execute, init  # pylint: disable=import-outside-toplevel
    from cosmic_ray.config import ConfigDict  # pylint: disable=import-outside-toplevel
    from cosmic_ray.work_db import WorkDB, use_db  # pylint: disable=import-outside-toplevel
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult  # pylint: disable=import-outside-toplevel

    started = time.time()
    base, dest = copy_tree(rel)
    tests = tests_for(rel)
    module = "ansible_collections.mlinfra.gpu." + rel[:-3].replace("/", ".")
    os.chdir(dest)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(base)
    os.environ["PYTHONPATH"] = str(base)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    result = {"file": rel, "tests": tests, "operators": len(used)}

    # 1. The tests import the copy, not the checkout.
    rc, out = run([sys.executable, "-c", "import %s as m; print(m.__file__)" % module], 60)
    imported = out.strip().splitlines()[-1] if out.strip() else ""
    if rc != 0 or Path(imported).resolve() != (dest / rel).resolve():
        result["error"] = "the module imports from %r, not from the copy %s (rc=%d)" % (imported, dest / rel, rc)
        return result
    # 2. Baseline: the unmutated copy passes.
    rc, out = run(PYTEST + tests, 600)
    if rc != 0:
        result["error"] = "the unit tests fail without any mutation (rc=%d):\n%s" % (rc, out[-2000:])
        return result
    # 3. Canary: a fault planted in the copy fails the tests (else every score would be fake).
    target = dest / rel
    original = target.read_text(encoding="utf-8")
    target.write_text(original + "\n" + CANARY, encoding="utf-8")
    try:
        rc, out = run(PYTEST + tests, 600)
    finally:
        target.write_text(original, encoding="utf-8")
    if rc == 0:
        result["error"] = "a fault planted in the copy went unnoticed: no unit test imports %s" % rel
        return result

    # 4. The mutants.
    source_lines = original.splitlines()
    pragmas, entries = exclusions(rel, source_lines, config.get("equivalent", []))
    session = base / "session.sqlite"
    cfg = ConfigDict({"module-path": rel, "timeout": float(timeout), "excluded-modules": [],
                      "test-command": " ".join(PYTEST + tests), "distributor": {"name": "local"}})
    survivors, excluded = [], []
    with use_db(session, WorkDB.Mode.create) as db:
        init([Path(rel)], db, {})
        for item in db.work_items:
            mutation = item.mutations[0]
            reason = _excluded(mutation, original, pragmas, entries)
            if reason:
                excluded.append({"line": mutation.start_pos[0], "operator": mutation.operator_name, "reason": reason})
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        execute(db, cfg)
        counts = {"killed": 0, "survived": 0, "timeout": 0, "incompetent": 0}
        items = {item.job_id: item for item in db.work_items}
        for job_id, res in db.results:
            if res.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
                continue
            item = items[job_id]
            mutation = item.mutations[0]
            if res.test_outcome == TestOutcome.SURVIVED:
                counts["survived"] += 1
                diff = [d for d in (res.diff or "").splitlines()
                        if d[:1] in "+-" and not d.startswith(("+++", "---"))]
                survivors.append({"line": mutation.start_pos[0], "operator": mutation.operator_name,
                                  "diff": diff})
            elif res.test_outcome == TestOutcome.INCOMPETENT:
                counts["incompetent"] += 1
            elif res.output == "timeout":
                counts["timeout"] += 1
            else:
                counts["killed"] += 1
    result.update(counts)
    result["excluded"] = excluded
    result["survivors"] = sorted(survivors, key=lambda s: (s["line"], s["operator"]))
    result["seconds"] = round(time.time() - started)
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    return result


# ---------------------------------------------------------------- driver
def expand(files, config):
    if not files:
        files = [f for pattern in config["settings"]["default_files"] for f in sorted(glob.glob(str(ROOT / pattern)))]
    out = []
    for name in files:
        path = Path(name).resolve()
        if not path.is_file() or path.suffix != ".py":
            raise SystemExit("not a Python file: %s" % name)
        if path.name != "__init__.py":
            out.append(str(path.relative_to(ROOT)))
    return out


def child(rel, timeout, keep):
    """Run one file in a fresh interpreter (cosmic-ray keeps global state; chdir is per process)."""
    cmd = [sys.executable, __file__, "--one", rel, "--timeout", str(timeout)] + (["--keep"] if keep else [])
    proc = subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT)
    try:
        res = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {"file": rel, "error": "mutation run crashed (rc=%d):\n%s"
               % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-3000:])}
    if "error" in res:
        print("%s: ERROR" % rel, file=sys.stderr)
    else:
        print("%s: %d killed, %d survived, %.1f%% in %ds" % (rel, score(res)[0], res["survived"], score(res)[1],
                                                             res["seconds"]), file=sys.stderr)
    return res


def score(res):
    """(killed, percent). A timeout is a kill; an incompetent mutant (could not be applied or run) is neither."""
    killed = res["killed"] + res["timeout"]
    total = killed + res["survived"]
    return killed, (100.0 * killed / total) if total else 100.0


def _row(cells):
    """One table line: the file column padded to the widest, the numbers right-aligned."""
    widths = (6, 8, 8, 11, 6, 5)
    return "  ".join([cells[0]] + [str(cell).rjust(width) for cell, width in zip(cells[1:], widths)])


def report(results, goal):
    width = max([len(r["file"]) for r in results] + [5])
    print("\n" + _row(["file".ljust(width), "killed", "survived", "excluded", "incompetent", "score", "time"]))
    all_killed = all_survived = 0
    failed = False
    for res in results:
        if "error" in res:
            print("%s  ERROR: %s" % (res["file"].ljust(width), res["error"].splitlines()[0]))
            failed = True
            continue
        killed, pct = score(res)
        all_killed += killed
        all_survived += res["survived"]
        print(_row([res["file"].ljust(width), killed, res["survived"], len(res["excluded"]), res["incompetent"],
                    "%.1f%%" % pct, "%ds" % res["seconds"]]))
        failed = failed or res["incompetent"] > 0
    total = all_killed + all_survived
    if total:
        print(_row(["TOTAL".ljust(width), all_killed, all_survived, "", "", "%.1f%%" % (100.0 * all_killed / total), ""]))
    for res in results:
        if "error" in res:
            print("\n== %s: ERROR\n%s" % (res["file"], res["error"]))
        elif res["survivors"]:
            print("\n== survivors in %s (%d; tests: %s)" % (res["file"], len(res["survivors"]),
                                                            " ".join(res["tests"])))
            for surv in res["survivors"]:
                change = " => ".join(d[1:].strip() for d in surv["diff"]) or "(no diff)"
                print("%s:%d  %s  %s" % (res["file"], surv["line"], surv["operator"].split("/")[-1], change))
    below = [r["file"] for r in results if "error" not in r and score(r)[1] < goal]
    if below:
        print("\nbelow %d%%: %s" % (goal, " ".join(below)))
    return 1 if failed else 0


def main():
    config = load_config()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS",
                                                                       config["settings"]["jobs"])))
    parser.add_argument("--timeout", type=float, default=float(config["settings"]["timeout"]))
    parser.add_argument("--keep", action="store_true", help="keep the copies and sessions under .build/mutation")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(mutate_one(args.one, args.timeout, args.keep)))
        return 0
    files = expand(args.files, config)
    print("mutating %d file(s) with %d job(s), %ss per mutant at most" % (len(files), args.jobs, args.timeout),
          file=sys.stderr)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda rel: child(rel, args.timeout, args.keep), files))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return report(results, 90)


if __name__ == "__main__":
    sys.exit(main())
