"""Certificates: PDF rendering time per certificate, and the verify page's throughput under gunicorn.

What it does, with a throwaway database (a temporary SQLite file, or PostgreSQL from
--database-url whose name must start with "bench"):
1. migrates and seeds one implementation-arm practice, one module and --learners learners who each
   complete it through learning.services (so every certificate is issued by the real receiver);
2. renders --renders certificate PDFs in this process with certificates.pdf (WeasyPrint, PDF/UA-1,
   QR code) after one untimed warm-up render, and reports the median, p90, min and max (each
   certificate's PDF was also rendered once while seeding, by the after-commit task);
3. starts gunicorn (--workers sync workers) on 127.0.0.1:--port with settings that raise the
   verify rate limit out of the way (one client IP would otherwise get 429 after 30 requests),
   then drives /certificates/verify/<code>/ for --duration seconds with wrk (or a thread-pool
   client when wrk is missing), once rotating through real codes and once through unknown codes,
   so the two response times can be compared;
4. prints a Markdown block and, with --record, writes it into bench/RESULTS.md between this
   benchmark's markers.

    .venv/bin/python bench/run.py certificates [--database-url postgres://.../bench_certs] [--record]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

from bench.common import cpu_model, gunicorn, recreate_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
RESULTS_HEADER = (
    "# Benchmark results\n\n"
    "Recorded by the scripts in bench/ (`make bench`, or `python bench/run.py <name> --record`).\n"
    "Each section states its machine, date, command and database.\n"
)

SETTINGS_TEMPLATE = '''"""Settings for bench_certificates only (written to a temporary directory, never used elsewhere)."""
from config.settings.base import *  # noqa: F403
from config.settings.base import MIDDLEWARE

DEBUG = False
SECRET_KEY = "bench-only-" + "x" * 60
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DEMO_DATA_ALLOWED = True
RESEARCH_PSEUDONYM_KEY = "bench-only-pseudonym-key-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CERTIFICATES_BASE_URL = "https://learning.example.nhs.uk"
# One client address drives all the load, so the per-IP limit would answer 429 after 30 requests.
CERTIFICATES_VERIFY_RATE_LIMIT = (10**9, 60)
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
}}
'''


@dataclass
class Load:
    """One throughput measurement."""

    label: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    tool: str


# Environment and database ---------------------------------------------------------------------


def _prepare(args, workdir: Path) -> str:
    (workdir / "bench_cert_settings.py").write_text(SETTINGS_TEMPLATE.format())
    sys.path.insert(0, str(workdir))
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(workdir), str(ROOT), os.environ.get("PYTHONPATH", "")])
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_cert_settings"
    os.environ["DJANGO_VAR_DIR"] = str(workdir / "var")
    os.environ["DJANGO_MEDIA_ROOT"] = str(workdir / "media")
    os.environ.pop("REDIS_URL", None)
    if args.database_url:
        recreate_postgres(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return "PostgreSQL (" + urlparse(args.database_url).path.lstrip("/") + ")"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "SQLite (WAL, temporary file)"


def seed(learners: int) -> list[str]:
    """Migrate, then have learners complete one module through the learning service; return their codes."""
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from wagtail.models import Page

    from certificates.models import Certificate
    from learning import services
    from modules.models import ModuleIndexPage, ModulePage, SectionPage
    from modules.services import record_module_version
    from practices.models import Arm, Membership, Practice

    call_command("migrate", verbosity=0, interactive=False)
    home = Page.objects.get(depth=2)
    index = ModuleIndexPage.objects.first() or home.add_child(instance=ModuleIndexPage(title="Modules", slug="modules"))
    module = index.add_child(instance=ModulePage(
        title="Supporting asthma self-management in the practice team", slug="bench-team", kind="team",
        summary="Bench module.", estimated_minutes=45, cpd_hours="1.50", certificate_valid_months=24,
    ))
    for number in (1, 2):
        module.add_child(instance=SectionPage(title=f"Section {number}", slug=f"section-{number}", weight=1))
    record_module_version(module=module)
    practice = Practice.objects.create(
        ods_code="W99001", name="Ysgol Surgery", nation="wales", arm=Arm.IMPLEMENTATION,
        trial_id="BENCH-1", randomised_on=date(2026, 1, 5),
    )
    sections = list(SectionPage.objects.child_of(module).live().order_by("path"))
    user_model = get_user_model()
    for number in range(learners):
        user = user_model.objects.create_user(
            email=f"learner{number}@example.org", first_name="Siân", last_name=f"Llŷr Gruffydd {number}",
            registration_body="NMC", registration_number=f"{number % 100:02d}A{number % 10000:04d}E",
        )
        membership = Membership.objects.create(user=user, practice=practice, role="practice_nurse")
        for section in sections:
            services.record_access(membership=membership, module=module, section=section)
    return list(Certificate.objects.order_by("id").values_list("code", flat=True))


# PDF rendering --------------------------------------------------------------------------------


def measure_rendering(renders: int) -> dict:
    """Render certificates one after another in this process; return timings in milliseconds."""
    from certificates import pdf
    from certificates.models import Certificate

    certificates = list(Certificate.objects.order_by("id"))
    # Untimed warm-up (WeasyPrint, fonts and templates are loaded already if seeding rendered PDFs).
    first = pdf.render_certificate_pdf(certificates[0])
    timings = []
    for number in range(renders):
        certificate = certificates[number % len(certificates)]
        started = time.perf_counter()
        content = pdf.render_certificate_pdf(certificate)
        timings.append((time.perf_counter() - started) * 1000)
        assert content.startswith(b"%PDF-")
    timings.sort()
    return {
        "renders": renders,
        "median_ms": statistics.median(timings),
        "p90_ms": timings[int(len(timings) * 0.9) - 1],
        "min_ms": timings[0],
        "max_ms": timings[-1],
        "bytes": len(first),
    }


def measure_interleaved(found: list[str], unknown: list[str], pairs: int) -> dict:
    """Time real and unknown codes alternately through Django's test client in this process.

    Interleaving one of each, pair after pair and in alternating order, means a busy neighbour slows both alike, so the
    medians compare the code paths themselves rather than the machine's load at the time.
    """
    from django.test import Client

    client = Client()
    timings: dict[str, list[float]] = {"real": [], "unknown": []}
    kinds = (("real", found), ("unknown", unknown))
    for number in range(pairs + 20):
        # Swap which goes first every other pair: the second request of a pair runs warmer.
        for label, paths in kinds if number % 2 else kinds[::-1]:
            started = time.perf_counter()
            # A different client address per pair keeps the rate limit out of the measurement.
            response = client.get(paths[number % len(paths)], REMOTE_ADDR=f"10.{number // 250 % 250}.{number % 250}.1")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            if number >= 20:  # the first pairs warm up templates and connections
                timings[label].append(elapsed)
    return {label: statistics.median(values) for label, values in timings.items()} | {"pairs": pairs}


# gunicorn and load ----------------------------------------------------------------------------


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _check_pages(port: int, found: list[str], unknown: list[str]) -> None:
    status, body = _get(port, found[0])
    if status != 200 or b"Certificate check" not in body or "Llŷr".encode() not in body:
        raise SystemExit(f"verify page for a real code answered {status} without the certificate")
    status, body = _get(port, unknown[0])
    if status != 200 or b"Certificate not found" not in body:
        raise SystemExit(f"verify page for an unknown code answered {status} without 'not found'")


def _wrk_script(workdir: Path, label: str, paths: list[str]) -> Path:
    script = workdir / f"{label}.lua"
    quoted = ",\n".join(f'  "{p}"' for p in paths)
    script.write_text(
        "local paths = {\n" + quoted + "\n}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\n"
        "end\n"
    )
    return script


def _parse_wrk(output: str) -> tuple[int, float, float | None, float | None, int]:
    def latency(label: str) -> float | None:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return requests, rps, latency("50"), latency("99"), errors


def drive(*, port: int, paths: list[str], label: str, seconds: float, connections: int, workdir: Path) -> Load:
    """Load the verify page with wrk if installed, else with a thread-pool client."""
    wrk = shutil.which("wrk")
    if wrk:
        script = _wrk_script(workdir, label, paths)
        output = subprocess.run(
            [wrk, f"-t{min(connections, 2)}", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
             "-s", str(script), f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout
        requests, rps, p50, p99, errors = _parse_wrk(output)
        return Load(label, requests, seconds, rps, p50, p99, errors, f"wrk -c{connections}")
    return _drive_threads(port=port, paths=paths, label=label, seconds=seconds, connections=connections)


def _drive_threads(*, port: int, paths: list[str], label: str, seconds: float, connections: int) -> Load:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        nonlocal errors
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        number = offset
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", paths[number % len(paths)])
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 0 if ok else 1
            number += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return Load(
        label, len(latencies), elapsed, len(latencies) / elapsed, statistics.median(latencies),
        latencies[int(len(latencies) * 0.99) - 1], errors, f"Python threads x{connections}",
    )


# Report ---------------------------------------------------------------------------------------


def _versions() -> str:
    import django
    import weasyprint

    return f"Python {platform.python_version()}, Django {django.get_version()}, WeasyPrint {weasyprint.__version__}"


def report(*, args, database: str, rendering: dict, interleaved: dict, loads: list[Load], command: str) -> str:
    lines = [
        f"### Certificates ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; {_versions()}; "
        f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())} (shared machine)",
        f"- Command: `{command}`",
        f"- Database: {database}; {args.learners} certificates issued through learning.services",
        "",
        "**PDF rendering** (certificates.pdf.render_certificate_pdf: HTML template, WeasyPrint PDF/UA-1, "
        "segno QR; in one process, one after another)",
        "",
        "| renders | median | p90 | min | max | PDF size |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {rendering['renders']} | {rendering['median_ms']:.0f} ms | {rendering['p90_ms']:.0f} ms | "
        f"{rendering['min_ms']:.0f} ms | {rendering['max_ms']:.0f} ms | {rendering['bytes'] / 1024:.0f} KiB |",
        "",
        f"**Verify page, real vs unknown codes in one process** (Django test client, {interleaved['pairs']} "
        "pairs, each one real and one unknown in alternating order, median per request)",
        "",
        "| real code | unknown code | unknown/real |",
        "|---:|---:|---:|",
        f"| {interleaved['real']:.2f} ms | {interleaved['unknown']:.2f} ms | "
        f"{interleaved['unknown'] / interleaved['real']:.2f} |",
        "",
        f"**Verify page throughput** (`/certificates/verify/<code>/`, gunicorn {args.workers} sync workers on "
        f"127.0.0.1:{args.port}, {args.duration:.0f} s per row, {args.connections} connections, "
        "rate limit raised for the single client IP)",
        "",
        "| codes | client | requests | requests/s | p50 | p99 | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for load in loads:
        p50 = f"{load.p50_ms:.1f} ms" if load.p50_ms is not None else "–"
        p99 = f"{load.p99_ms:.1f} ms" if load.p99_ms is not None else "–"
        lines.append(f"| {load.label} | {load.tool} | {load.requests} | {load.rps:.0f} | {p50} | {p99} | {load.errors} |")
    real = statistics.median(load.rps for load in loads if load.label.startswith("real"))
    unknown = statistics.median(load.rps for load in loads if load.label.startswith("unknown"))
    real_p50 = statistics.median(load.p50_ms for load in loads if load.label.startswith("real") and load.p50_ms)
    unknown_p50 = statistics.median(
        load.p50_ms for load in loads if load.label.startswith("unknown") and load.p50_ms
    )
    lines += [
        "",
        f"Median over rounds: real codes {real:.0f} requests/s (p50 {real_p50:.1f} ms), unknown codes "
        f"{unknown:.0f} requests/s (p50 {unknown_p50:.1f} ms); ratio unknown/real {unknown / real:.2f}.",
    ]
    return "\n".join(lines) + "\n"


def record(block: str, *, engine: str) -> None:
    """Write the block between this benchmark's markers for the engine in bench/RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else RESULTS_HEADER
    start, end = f"<!-- certificates:{engine.lower()}:start -->", f"<!-- certificates:{engine.lower()}:end -->"
    section = f"{start}\n## Certificates on {engine}\n\n{block}{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_certificates", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL of a database named bench* (dropped and recreated)")
    parser.add_argument("--learners", type=int, default=100, help="certificates to issue (default 100)")
    parser.add_argument("--renders", type=int, default=100, help="PDFs to render for the median (default 100)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default nproc)")
    parser.add_argument("--port", type=int, default=8017)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load row (default 10)")
    parser.add_argument("--pairs", type=int, default=1000, help="interleaved real/unknown pairs (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of real then unknown codes (default 3)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent client connections (default 8)")
    parser.add_argument("--record", action="store_true", help="write the results into bench/RESULTS.md")
    args = parser.parse_args(argv)
    command = "python bench/run.py certificates " + " ".join(argv)

    with tempfile.TemporaryDirectory(prefix="bench-certs-") as tmp:
        workdir = Path(tmp)
        database = _prepare(args, workdir)
        print(f"Seeding {args.learners} certificates on {database}...", flush=True)
        codes = seed(args.learners)
        from django.db import connections

        from certificates.codes import format_code, new_code

        print(f"Rendering {args.renders} PDFs...", flush=True)
        rendering = measure_rendering(args.renders)
        found = [f"/certificates/verify/{format_code(code)}/" for code in codes]
        unknown = [f"/certificates/verify/{format_code(new_code())}/" for _ in codes]
        print(f"Timing {args.pairs} interleaved pairs of real and unknown codes in-process...", flush=True)
        interleaved = measure_interleaved(found, unknown, args.pairs)
        connections.close_all()  # gunicorn's workers open their own

        loads = []
        with gunicorn(port=args.port, workers=args.workers, log=workdir / "gunicorn.log"):
            _check_pages(args.port, found, unknown)
            for _ in range(200):  # warm up every worker's connection, templates and caches
                _get(args.port, found[secrets.randbelow(len(found))])
            # Alternate real and unknown codes round by round, so a busy neighbour on a shared
            # machine slows both alike instead of whichever happened to run second.
            for round_number in range(1, args.rounds + 1):
                for label, paths in (("real", found), ("unknown", unknown)):
                    print(f"Round {round_number}: verify page, {label} codes, {args.duration:.0f} s...", flush=True)
                    loads.append(drive(port=args.port, paths=paths, label=f"{label} (round {round_number})",
                                       seconds=args.duration, connections=args.connections, workdir=workdir))
        block = report(
            args=args, database=database, rendering=rendering, interleaved=interleaved, loads=loads, command=command
        )
    print()
    print(block)
    if args.record:
        record(block, engine="PostgreSQL" if args.database_url else "SQLite")
        print(f"Recorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
