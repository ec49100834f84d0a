#!/usr/bin/env python3
"""The BoGo run in numbers (tests/bogo/run.sh calls it).

summary.py RUNNER_JSON CONFIG NAMES OUT MODE SECONDS RUNNER_RC

Reads the runner's results, the config's disabled tests (glob -> reason)
and the names of every test the run covered; prints "N passed, M failed,
K skipped" and the skipped ones by reason class (the text before the first
colon: not applicable / policy / not implemented yet) and by reason; writes
OUT: {"counts": ..., "failed": [...], "unimplemented": [...],
"skipped": {reason: count}}. Exit 1 on a failure, on a test the shim did not
implement that the config does not disable, or when the runner itself broke.
"""
import fnmatch
import json
import sys

runner_json, config_path, names_path, out_path, mode, secs, runner_rc = sys.argv[1:8]
config = json.load(open(config_path))
disabled = config.get("DisabledTests", {})
try:
    tests = json.load(open(runner_json)).get("tests", {})
except (OSError, ValueError):
    print("bogo: the runner wrote no results (see build/bogo/runner.log)")
    sys.exit(1)
names = [n.strip() for n in open(names_path) if n.strip()]

def reason_of(name):
    # Go's filepath.Match, which the runner uses, agrees with fnmatch on
    # these patterns (no '/' or '[' in test names).
    for pattern, why in disabled.items():
        if fnmatch.fnmatchcase(name, pattern):
            return why
    return None

passed = sorted(n for n, r in tests.items() if r["actual"] == "PASS")
failed = sorted(n for n, r in tests.items() if r["actual"] == "FAIL")
unimpl = sorted(n for n, r in tests.items() if r["actual"] == "SKIP")
by_reason = {}
for n in names:
    if n in tests:
        continue
    why = reason_of(n)
    if why is not None:
        by_reason[why] = by_reason.get(why, 0) + 1
skipped = sum(by_reason.values())
by_class = {}
for why, count in by_reason.items():
    cls = why.split(":", 1)[0]
    by_class[cls] = by_class.get(cls, 0) + count

print(f"BoGo ({mode}, {secs} s): {len(passed)} passed, {len(failed) + len(unimpl)} failed, "
      f"{skipped} skipped (of {len(names)} tests)")
for cls in sorted(by_class):
    print(f"  skipped, {cls}: {by_class[cls]}")
if failed:
    print("  failed: " + " ".join(failed[:40]) + (" ..." if len(failed) > 40 else ""))
if unimpl:
    print("  unimplemented by the shim and not disabled: " + " ".join(unimpl[:40]) +
          (" ..." if len(unimpl) > 40 else ""))
json.dump({"mode": mode, "seconds": int(secs),
           "counts": {"passed": len(passed), "failed": len(failed), "unimplemented": len(unimpl),
                      "skipped": skipped, "total": len(names)},
           "skipped_by_class": by_class,
           "skipped_by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
           "failed": failed, "unimplemented": unimpl, "passed": passed},
          open(out_path, "w"), indent=1)
print(f"  results: {out_path}")
ok = not failed and not unimpl and len(tests) > 0
if ok and runner_rc != "0":
    print(f"bogo: the runner exited {runner_rc} with no failed test (see build/bogo/runner.log)")
    ok = False
sys.exit(0 if ok else 1)
