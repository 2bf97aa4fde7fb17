"""Run every benchmark in bench/, one after another (``make bench``).

    python bench/run.py            # full figures (the build benchmark alone takes ~20 minutes)
    python bench/run.py --quick    # smaller sizes, no 10-minute plain mkdocs build

Each script runs in its own process with this Python; ``--quick`` is passed on to the scripts
that take it. The exit status is non-zero when any script failed; the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# In this order; missing ones are skipped.
SCRIPTS = ("build_bench.py", "search_bench.py", "service_bench.py", "gaps_bench.py")


def takes_quick(script: Path) -> bool:
    """Whether ``script`` declares a ``--quick`` option (so passing it cannot break argparse)."""
    return '"--quick"' in script.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="pass --quick to the benchmarks that take it")
    args = parser.parse_args(argv)

    failed = []
    for name in SCRIPTS:
        script = BENCH / name
        if not script.exists():
            print(f"bench: {name} not present, skipped", file=sys.stderr, flush=True)
            continue
        cmd = [sys.executable, str(script)]
        if args.quick:
            if takes_quick(script):
                cmd.append("--quick")
            else:
                print(f"bench: {name} has no --quick option; running it in full", file=sys.stderr, flush=True)
        print(f"bench: running {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        code = subprocess.run(cmd).returncode
        print(f"bench: {name} finished in {time.perf_counter() - started:.0f} s (exit {code})",
              file=sys.stderr, flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
