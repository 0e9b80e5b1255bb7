"""Section page throughput under gunicorn: bare view vs section page untracked vs tracked, in one run.

What it does, all on loopback with a throwaway database:
1. creates the database (PostgreSQL from --database-url, else a temporary SQLite file), migrates,
   seeds the demonstration modules, one implementation-arm practice and --learners learners, each
   signed in with a session cookie;
2. starts gunicorn (--workers sync workers, 4 by default as in the README's production command)
   with bench.settings, which adds a bare view at /bench/bare/ and the X-Bench-Untracked header
   that skips learning.services.record_access;
3. checks each target answers 200 as expected and that the tracked page records one event per
   view and the untracked page none;
4. warms up, then measures in rounds (a) the bare view, (b) the section page untracked and (c) the
   same page tracked, each for --duration seconds with wrk (or a thread-pool client if wrk is
   missing, or with --client threads), rotating through the learners and the module's sections,
   with --connections (8 by default, two per worker, so a worker always has the next request
   waiting while it waits on the database);
5. prints the figures as a Markdown block (and with --record writes it into bench/RESULTS.md
   between this label's markers); with --pairs, also times alternating untracked and tracked
   requests in-process, and with --profile, profiles both.

(d) is the reference: a plain Wagtail page type (bench.models.PlainPage, bench-only) whose
RichTextField holds the same section's rendered body, served by Wagtail's own serve view.

Targets (issue 8): tracking cost 1 - c/b <= 10%; c/a >= 0.12; c/d >= 2.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

from bench.common import cpu_model, gunicorn, record_block, recreate_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
UNTRACKED_HEADER = "X-Bench-Untracked"
TARGETS = ("bare", "reference", "untracked", "tracked")
REFERENCE_PREFIX = "/bench/wagtail/"


@dataclass
class Run:
    """One measurement of one target."""

    target: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    events: int | None = None


@dataclass
class Setup:
    """What was seeded: the section paths and the learners' session cookies."""

    module: str
    paths: list[str]
    cookies: list[str]
    cookie_name: str
    extra: dict = field(default_factory=dict)


# Environment and database ---------------------------------------------------------------------


def _prepare_environment(args, workdir: Path) -> str:
    """Set the environment for this process and gunicorn; return a description of the database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DJANGO_VAR_DIR"] = str(workdir / "var")
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["DJANGO_CACHE_PREFIX"] = "bench"
    if args.database_url:
        recreate_postgres(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return "PostgreSQL " + urlparse(args.database_url).path.lstrip("/")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "SQLite (WAL, temporary file)"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(*, learners: int, module_slug: str) -> Setup:
    """Migrate, seed the demo modules, a practice and signed-in learners; return paths and cookies."""
    from datetime import date

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from demo.modules import seed_demo_modules
    from modules.models import ModulePage, SectionPage
    from practices.models import Arm, Practice
    from practices.services import start_membership

    call_command("migrate", verbosity=0, interactive=False)
    seed_demo_modules()
    module = ModulePage.objects.get(slug=module_slug)
    sections = list(SectionPage.objects.child_of(module).live().order_by("path"))
    paths = [section.get_url() for section in sections]
    practice = Practice.objects.create(
        ods_code="Z99001", name="Bench practice", nation="england", arm=Arm.IMPLEMENTATION,
        trial_id="BENCH-1", randomised_on=date(2026, 1, 5),
    )
    roles = ["gp", "practice_nurse", "hca", "reception_admin", "practice_manager", "clinical_pharmacist"]
    cookies = []
    user_model = get_user_model()
    for number in range(learners):
        user = user_model.objects.create_user(
            email=f"bench-learner-{number}@example.org", password="bench-Passw0rd-long",  # noqa: S106
            first_name="Bench", last_name=f"Learner {number}",
        )
        start_membership(user=user, practice=practice, role=roles[number % len(roles)], on=date(2026, 1, 5))
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    reference_paths = seed_reference_pages(sections)
    return Setup(
        module=module_slug, paths=paths, cookies=cookies, cookie_name=settings.SESSION_COOKIE_NAME,
        extra={"sections": len(sections), "reference_paths": reference_paths},
    )


def seed_reference_pages(sections) -> list[str]:
    """Add one plain Wagtail page per section holding the section's rendered body as rich text."""
    from bench.models import PlainPage
    from content.models import HomePage
    from learning.rendering import section_body_segments

    home = HomePage.objects.first()
    paths = []
    for number, section in enumerate(sections, start=1):
        body = "".join(segment.html for segment in section_body_segments(section) if segment.html)
        page = home.add_child(instance=PlainPage(title=section.title, slug=f"bench-reference-{number}", body=body))
        page.save_revision().publish()
        paths.append(REFERENCE_PREFIX + page.url_path.removeprefix(home.url_path))
    return paths


def event_count() -> int:
    from django.db import connection

    from learning.models import LearningEvent

    count = LearningEvent.objects.count()
    connection.close()
    return count


# gunicorn -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _headers(setup: Setup, index: int, *, untracked: bool) -> dict[str, str]:
    headers = {"Cookie": f"{setup.cookie_name}={setup.cookies[index % len(setup.cookies)]}"}
    if untracked:
        headers[UNTRACKED_HEADER] = "1"
    return headers


def preflight(port: int, setup: Setup) -> None:
    """Check every target serves 200 and that only the tracked page records an event."""
    status, body = _get(port, "/bench/bare/", _headers(setup, 0, untracked=False))
    assert (status, body) == (200, b"ok"), (status, body[:200])
    for path in setup.extra["reference_paths"]:
        before = event_count()
        status, body = _get(port, path, _headers(setup, 0, untracked=False))
        assert status == 200, (path, status, body[:500])
        assert b"site-section-body" in body, body[:500]
        assert event_count() == before, "the reference page recorded an event"
    for path in setup.paths:
        before = event_count()
        status, body = _get(port, path, _headers(setup, 0, untracked=True))
        assert status == 200, (path, status, body[:500])
        assert b"nhsuk-" in body, "the section page did not render the NHS.UK layout"
        assert event_count() == before, "the untracked page recorded an event"
        status, body = _get(port, path, _headers(setup, 0, untracked=False))
        assert status == 200, (path, status, body[:500])
        assert event_count() == before + 1, "the tracked page did not record exactly one event"
    # A request without a session is sent to sign in: the cookies above are what make it a learner.
    status, _ = _get(port, setup.paths[0], {})
    assert status == 302, status


# Load generation ------------------------------------------------------------------------------


def _paths(setup: Setup, target: str) -> list[str]:
    if target == "bare":
        return ["/bench/bare/"]
    if target == "reference":
        return setup.extra["reference_paths"]
    return setup.paths


def _lua_script(setup: Setup, target: str, directory: Path) -> Path:
    paths = _paths(setup, target)
    quoted_paths = ", ".join(f'"{p}"' for p in paths)
    quoted_cookies = ", ".join(f'"{setup.cookie_name}={c}"' for c in setup.cookies)
    extra = f'headers["{UNTRACKED_HEADER}"] = "1"' if target == "untracked" else ""
    script = directory / f"{target}.lua"
    script.write_text(
        f"""-- Rotate learners (session cookies) and sections; counter per wrk thread.
local paths = {{{quoted_paths}}}
local cookies = {{{quoted_cookies}}}
local i = 0
request = function()
  i = i + 1
  local headers = {{}}
  headers["Cookie"] = cookies[(i % #cookies) + 1]
  {extra}
  local path = paths[(math.floor(i / #cookies) % #paths) + 1]
  return wrk.format("GET", path, headers)
end
"""
    )
    return script


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(*, port: int, script: Path, target: str, seconds: int, connections: int, threads: int) -> Run:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s",
        "-s", str(script), f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, flags=re.MULTILINE))
    parsed = {k: re.fullmatch(r"([\d.]+)(\w+)", v).groups() for k, v in latency.items()}
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += int(match.group(1)) + int(match.group(3)) + int(match.group(4))
    return Run(
        target=target, requests=int(total.group(1)), seconds=_ms(total.group(2), total.group(3)) / 1000, rps=rps,
        p50_ms=_ms(*parsed["50"]) if "50" in parsed else None, p99_ms=_ms(*parsed["99"]) if "99" in parsed else None,
        errors=errors,
    )


def run_threads(*, port: int, setup: Setup, target: str, seconds: int, connections: int) -> Run:
    """Measure with a small thread-pool client (used only when wrk is not installed)."""
    paths = _paths(setup, target)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        i = offset
        local: list[float] = []
        while time.monotonic() < deadline:
            headers = _headers(setup, i, untracked=target == "untracked")
            path = paths[(i // len(setup.cookies)) % len(paths)]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
            local.append(time.perf_counter() - started)
            i += connections
        with lock:
            latencies.extend(local)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return Run(
        target=target, requests=len(latencies), seconds=elapsed, rps=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000 if latencies else None,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None, errors=errors[0],
    )


def measure(*, args, port: int, setup: Setup, target: str, seconds: int, scripts: dict[str, Path]) -> Run:
    before = event_count()
    if args.client == "wrk":
        run = run_wrk(
            port=port, script=scripts[target], target=target, seconds=seconds,
            connections=args.connections, threads=args.threads,
        )
    else:
        run = run_threads(port=port, setup=setup, target=target, seconds=seconds, connections=args.connections)
    # Let requests still in flight when the client stopped finish before counting.
    time.sleep(0.5)
    run.events = event_count() - before
    return run


# Profiling ------------------------------------------------------------------------------------


def paired(setup: Setup, *, pairs: int) -> str:
    """Time untracked and tracked views alternately in one process; return a Markdown line.

    Alternating request by request makes the two series see the same machine load, which the
    gunicorn rounds on a shared machine cannot guarantee.
    """
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = setup.cookies[1 % len(setup.cookies)]
    times: dict[str, list[float]] = {"untracked": [], "tracked": []}
    for number in range(pairs + 10):
        path = setup.paths[number % len(setup.paths)]
        order = (("untracked", {"HTTP_X_BENCH_UNTRACKED": "1"}), ("tracked", {}))
        for label, extra in order if number % 2 else tuple(reversed(order)):
            started = time.perf_counter()
            assert client.get(path, **extra).status_code == 200
            if number >= 10:  # the first ten pairs warm the caches
                times[label].append(time.perf_counter() - started)
    connection.close()
    untracked = statistics.median(times["untracked"]) * 1000
    tracked = statistics.median(times["tracked"]) * 1000
    return (
        f"- In-process, {pairs} alternating pairs (Django test client, same database, no HTTP server): median "
        f"{untracked:.1f} ms untracked, {tracked:.1f} ms tracked per request: tracking cost "
        f"1 - untracked/tracked time = **{1 - untracked / tracked:.1%}**"
    )


def profile(setup: Setup, *, requests: int) -> str:
    """Profile tracked and untracked section views in-process; return queries, timings and hot spots."""
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = setup.cookies[0]
    path = setup.paths[0]
    lines = []
    for label, extra in (("untracked", {"HTTP_X_BENCH_UNTRACKED": "1"}), ("tracked", {})):
        for _ in range(20):
            assert client.get(path, **extra).status_code == 200
        # The query log is a bounded deque: start it empty so the count is this request's.
        reset_queries()
        with CaptureQueriesContext(connection) as context:
            assert client.get(path, **extra).status_code == 200
        # captured_queries reads the live log, which each later request resets: copy it now.
        queries = list(context.captured_queries)
        started = time.perf_counter()
        for _ in range(requests):
            client.get(path, **extra)
        per_request = (time.perf_counter() - started) / requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path, **extra)
        profiler.disable()
        lines.append(f"### {label}: {len(queries)} SQL queries, {per_request:.2f} ms per request in-process (unprofiled)")
        lines.append("")
        lines.append("Queries:")
        lines.extend(f"- {' '.join(q['sql'].split())[:200]}" for q in queries)
        for order, count in (("cumulative", 40), ("tottime", 25)):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(count)
            lines += ["", f"cProfile, {requests} requests, by {order}:", "```", stream.getvalue().strip(), "```"]
        lines.append("")
    connection.close()
    return "\n".join(lines)


# Report ---------------------------------------------------------------------------------------


def _ram() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _versions(client: str) -> str:
    import django
    import gunicorn as gunicorn_module
    import wagtail

    wrk = "thread-pool client in the bench process" + ("" if shutil.which("wrk") else " (wrk not installed)")
    if client == "wrk":
        first = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk = (first.stdout or first.stderr).splitlines()[0].split(" [")[0]
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, Wagtail {wagtail.__version__}, "
        f"gunicorn {gunicorn_module.__version__}, {wrk}"
    )


def report(*, args, database: str, setup: Setup, runs: list[Run], command: str, load: tuple[str, str]) -> str:
    by_target = {t: [r for r in runs if r.target == t] for t in TARGETS}
    median = {t: statistics.median(r.rps for r in by_target[t]) for t in TARGETS}
    cost = 1 - median["tracked"] / median["untracked"]
    ratio = median["tracked"] / median["bare"]
    versus_reference = median["tracked"] / median["reference"]
    rounds = list(zip(by_target["bare"], by_target["reference"], by_target["untracked"], by_target["tracked"], strict=True))
    round_costs = [1 - c.rps / b.rps for _, _, b, c in rounds]
    # Each round's own ratios compare targets measured minutes apart at most (b and c back to back),
    # so their median is less sensitive to the machine's load drifting between rounds.
    round_ratio = statistics.median(c.rps / a.rps for a, _, _, c in rounds)
    round_reference = statistics.median(c.rps / d.rps for _, d, _, c in rounds)
    verdict_cost = "met" if cost <= 0.10 else "MISSED"
    verdict_reference = "met" if versus_reference >= 2 else "MISSED"
    verdict_ratio = "met" if ratio >= 0.12 else "MISSED"
    cache = "Redis" if args.redis_url else "local memory (per worker)"
    lines = [
        f"#### {args.label}: {database}, cache {cache}",
        "",
        f"- Date: {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs ({cpu_model()}), {_ram()} RAM, {platform.system()} {platform.release()}",
        f"- Software: {_versions(args.client)}",
        f"- Command: `{command}`",
        f"- Load average (1, 5, 15 min) before / after the measured rounds: {load[0]} / {load[1]} "
        "(other processes on the machine share the CPUs; b and c are interleaved so they see the same load)",
        f"- Server: gunicorn, {args.workers} sync workers, 127.0.0.1; client: "
        + (f"wrk, {args.threads} thread(s)" if args.client == "wrk" else "thread-pool, one thread per connection")
        + f", {args.connections} connections; {args.rounds} rounds x {args.duration} s per target after "
        f"{args.warmup} s warm-up each",
        f"- Page: the `{setup.module}` module's {len(setup.paths)} section pages in rotation, "
        f"{len(setup.cookies)} signed-in learners in rotation (one implementation-arm practice)",
        "- Untracked = the same request with `X-Bench-Untracked: 1`, which makes the bench-only "
        "middleware skip `learning.services.record_access`; everything else (eligibility, the learner's "
        "progress, rendering) is identical",
        "",
        "| target | requests/s (median) | per round | p50 ms | p99 ms | non-200/socket errors | events recorded |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    names = {
        "bare": "(a) bare Django view", "reference": "(d) plain Wagtail page, Wagtail's own serve",
        "untracked": "(b) section page, untracked", "tracked": "(c) section page, tracked",
    }
    for target in TARGETS:
        rows = by_target[target]
        lines.append(
            f"| {names[target]} | {median[target]:.1f} | {', '.join(f'{r.rps:.1f}' for r in rows)} | "
            f"{statistics.median(r.p50_ms for r in rows if r.p50_ms is not None):.1f} | "
            f"{statistics.median(r.p99_ms for r in rows if r.p99_ms is not None):.1f} | "
            f"{sum(r.errors for r in rows)} | "
            f"{sum(r.events or 0 for r in rows)} of {sum(r.requests for r in rows)} requests |"
        )
    lines += [
        "",
        f"- Tracking cost 1 - c/b = **{cost:.1%}** (target <= 10%: {verdict_cost}); per round: "
        + ", ".join(f"{c:.1%}" for c in round_costs) + f" (median {statistics.median(round_costs):.1%})",
        f"- Tracked page vs bare view c/a = **{ratio:.3f}** (target >= 0.12: {verdict_ratio}); "
        f"untracked b/a = {median['untracked'] / median['bare']:.3f}; median of the rounds' own c/a {round_ratio:.3f}",
        f"- Tracked page vs plain Wagtail page c/d = **{versus_reference:.2f}** (target >= 2: {verdict_reference}); "
        f"plain Wagtail page vs bare view d/a = {median['reference'] / median['bare']:.3f}; "
        f"median of the rounds' own c/d {round_reference:.2f}",
    ]
    return "\n".join(lines)


def record(label: str, block: str) -> None:
    """Replace this label's block in bench/RESULTS.md (or append it), leaving everything else alone."""
    record_block(RESULTS, f"section-page:{label}", block)


# Entry ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL of a database named bench* (dropped and recreated); "
                        "default a temporary SQLite file.")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""),
                        help="Redis URL for the cache, as in production; default per-worker local memory.")
    parser.add_argument("--module", default="team", help="Slug of the demo module whose sections are served.")
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn sync workers (default 4, the README's production command).")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads.")
    parser.add_argument("--connections", type=int, default=8, help="Client connections (default two per worker).")
    parser.add_argument("--client", choices=("auto", "wrk", "threads"), default="auto",
                        help="Load generator: wrk, the thread-pool client, or wrk when installed (default).")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per measurement.")
    parser.add_argument("--warmup", type=int, default=5, help="Seconds of warm-up per target.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--label", default="", help="Name of this configuration in RESULTS.md.")
    parser.add_argument("--record", action="store_true", help="Write the results into bench/RESULTS.md.")
    parser.add_argument("--pairs", type=int, default=0, metavar="N",
                        help="Also time N alternating untracked/tracked requests in-process and add them to the results.")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="Also profile N tracked and N untracked requests in-process (cProfile).")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 1 <= args.rounds <= 10 or not 1 <= args.connections <= 64:
        parser.error("keep the run bounded: duration 1-120 s, rounds 1-10, connections 1-64")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "threads"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not installed")
    args.label = args.label or ("postgresql" if args.database_url else "sqlite")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python", "bench/run.py", "section_page", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="bench-section-") as tmp:
        workdir = Path(tmp)
        database = _prepare_environment(args, workdir)
        _setup_django()
        print(f"Seeding {database} ...", flush=True)
        setup = seed(learners=args.learners, module_slug=args.module)
        from django.db import connection

        connection.close()
        scripts = {target: _lua_script(setup, target, workdir) for target in TARGETS}
        port = _free_port()
        runs: list[Run] = []
        with gunicorn(port=port, workers=args.workers, log=workdir / "gunicorn.log"):
            preflight(port, setup)
            print("Preflight passed; warming up ...", flush=True)
            for target in ("tracked", "untracked", "reference", "bare"):
                measure(args=args, port=port, setup=setup, target=target, seconds=args.warmup, scripts=scripts)
            load_before = _load()
            for number in range(1, args.rounds + 1):
                # Alternate the order each round so drift in machine load does not favour one target.
                for target in TARGETS if number % 2 else tuple(reversed(TARGETS)):
                    run = measure(args=args, port=port, setup=setup, target=target, seconds=args.duration, scripts=scripts)
                    print(f"round {number} {target:9s} {run.rps:8.1f} req/s  errors {run.errors}  events {run.events}",
                          flush=True)
                    runs.append(run)
            load_after = _load()
        block = report(
            args=args, database=database, setup=setup, runs=runs, command=command, load=(load_before, load_after)
        )
        if args.pairs:
            block += "\n" + paired(setup, pairs=args.pairs)
        print()
        print(block)
        if args.record:
            record(args.label, block)
            print(f"\nRecorded in {RESULTS.relative_to(ROOT)}")
        if args.profile:
            print()
            print(profile(setup, requests=args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
