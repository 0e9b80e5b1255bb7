"""Run the benchmarks (`make bench`): every bench/bench_*.py, or one by name with its own options.

    python bench/run.py                              # all benchmarks with their defaults
    python bench/run.py section_page --rounds 5      # one benchmark, options passed through

Benchmarks are never part of `make test`; their recorded results live in bench/RESULTS.md.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def available() -> list[str]:
    """Return the benchmark names (bench_<name>.py) in alphabetical order."""
    return sorted(path.stem.removeprefix("bench_") for path in BENCH.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    # Import benchmarks as bench.<module> from the project root, not as top-level modules.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
    sys.path.insert(0, str(ROOT))
    names = available()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("Benchmarks:", ", ".join(names))
        return 0
    if argv and not argv[0].startswith("-"):
        if argv[0] not in names:
            print(f"Unknown benchmark {argv[0]!r}; choose from: {', '.join(names)}", file=sys.stderr)
            return 2
        selected, options = [argv[0]], argv[1:]
    else:
        selected, options = names, argv
    status = 0
    for name in selected:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        status = module.main(options) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
