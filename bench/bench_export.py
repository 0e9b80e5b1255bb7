"""Research export: throughput of export_access_log against PostgreSQL's own COPY of the same rows, and peak memory.

What it does, with a throwaway database (PostgreSQL from --database-url, whose name must start with
"bench"; or a temporary SQLite file without it):
1. migrates, seeds the demo modules, --practices trial practices and --learners learners, then
   inserts --events access-log events with one INSERT ... SELECT over a generated series (page views
   with every tenth a knowledge-check answer; one event per second from 2025-01-01), since
   recording millions of views through learning.services would take hours and the export only
   reads the table;
2. on PostgreSQL, times `COPY (SELECT ...) TO STDOUT WITH CSV HEADER` of the same rows, with the
   same joins (practice trial ID, arm and nation, module and section slugs) and the same order
   (occurred_at, id), written to a file: the floor for reading and formatting these rows. COPY does
   not pseudonymise, label sections by position or neutralise formula cells; the export does;
3. times the export in a child process (research.services.export_to_directory: the whole package,
   all files, with manifest and checksums), reading the child's peak RSS from the kernel (wait4);
4. alternates COPY and export for --rounds rounds so drift in the shared machine's load does not
   favour one, and reports the medians, the ratio of throughputs (target >= 0.5) and the peak RSS
   (target < 150 MB);
5. prints a Markdown block and, with --record, writes it into bench/RESULTS.md between this
   benchmark's markers for the database.

    .venv/bin/python bench/run.py export --database-url postgres://postgres@127.0.0.1:5432/bench_export \
        [--events 1000000] [--record]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from bench.common import cpu_model, record_block, recreate_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

# The child process that runs the export and reports how long the export itself took.
EXPORT_CHILD = """
import sys, time
from pathlib import Path
import django
django.setup()
from research.services import export_to_directory
started = time.perf_counter()
export = export_to_directory(directory=Path(sys.argv[1]), actor_label="bench")
seconds = time.perf_counter() - started
# VmHWM: this process's own peak resident set (the kernel's wait4 figure would include the parent's
# pages from before exec, which Linux carries over into the child's maximum).
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"{seconds:.6f} {export.result.rows} {peak_kb}")
"""


@dataclass
class Timing:
    """One measurement: what ran, how long, how many event rows, and the child's peak RSS (export only)."""

    what: str
    seconds: float
    rows: int
    peak_rss_mb: float | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _prepare_environment(args, workdir: Path) -> tuple[str, str]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DJANGO_VAR_DIR"] = str(workdir / "var")
    os.environ.pop("REDIS_URL", None)
    if args.database_url:
        recreate_postgres(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
        return "postgresql", "PostgreSQL " + urlparse(args.database_url).path.lstrip("/")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "sqlite", "SQLite (WAL, temporary file)"


def seed(*, practices: int, learners: int, events: int) -> dict:
    """Migrate and seed the trial, then insert the events in one statement; return what was made."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from demo.modules import seed_demo_modules
    from modules.models import ModulePage, SectionPage
    from practices.models import Arm, Membership, Practice

    call_command("migrate", verbosity=0, interactive=False)
    seed_demo_modules()
    module = ModulePage.objects.get(slug="team")
    section_ids = list(SectionPage.objects.child_of(module).live().order_by("path").values_list("id", flat=True))
    made = Practice.objects.bulk_create(
        Practice(ods_code=f"Z{n:05d}", name=f"Bench practice {n}", nation="england",
                 arm=Arm.IMPLEMENTATION if n % 2 else Arm.CONTROL, trial_id=f"BENCH-{n:04d}",
                 randomised_on=date(2025, 1, 6), join_code=f"BENCH{n:03d}")
        for n in range(practices)
    )
    practice_ids = [p.pk for p in made] if made[0].pk else list(Practice.objects.order_by("id").values_list("id", flat=True))
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(email=f"bench-learner-{n}@example.org", first_name="Bench", last_name=f"Learner {n}")
        for n in range(learners)
    )
    user_ids = [u.pk for u in users] if users[0].pk else list(user_model.objects.order_by("id").values_list("id", flat=True))
    Membership.objects.bulk_create(
        Membership(user_id=user_id, practice_id=practice_ids[n % practices], role="gp", started_on=date(2025, 1, 6))
        for n, user_id in enumerate(user_ids)
    )
    # Learner k belongs to practice k % practices; ids are contiguous from bulk_create, checked here.
    assert user_ids == list(range(user_ids[0], user_ids[0] + learners))
    assert practice_ids == list(range(practice_ids[0], practice_ids[0] + practices))
    u0, p0 = user_ids[0], practice_ids[0]
    section_case = "CASE (i % {n}) {whens} END".format(
        n=len(section_ids), whens=" ".join(f"WHEN {k} THEN {sid}" for k, sid in enumerate(section_ids))
    )
    postgres = connection.vendor == "postgresql"
    answer = '{"block_id": "bench-check-1", "is_correct": true}'
    if postgres:
        series = f"SELECT generate_series(0, {events - 1}) AS i"
        moment = "TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL '1 second'"
        detail = f"CASE WHEN i % 10 = 9 THEN '{answer}'::jsonb ELSE '{{}}'::jsonb END"
    else:
        series = f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {events - 1}) SELECT i FROM n"  # noqa: S608
        moment = "datetime('2025-01-01 00:00:00', '+' || i || ' seconds')"
        detail = f"CASE WHEN i % 10 = 9 THEN '{answer}' ELSE '{{}}' END"
    sql = f"""
        INSERT INTO learning_learningevent
            (user_id, practice_id, role, module_id, section_id, module_version, event_type, occurred_at,
             visit_number, detail)
        SELECT {u0} + (i % {learners}), {p0} + ((i % {learners}) % {practices}), 'gp', {module.pk},
               {section_case}, 1, CASE WHEN i % 10 = 9 THEN 'knowledge_check' ELSE 'section_view' END,
               {moment}, 1 + i / ({learners} * 20), {detail}
        FROM ({series}) AS s
    """  # noqa: S608 (numbers and fixed text built here, no input)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        if postgres:
            cursor.execute("ANALYZE")
    insert_seconds = time.perf_counter() - started
    connection.close()
    return {"module_id": module.pk, "sections": len(section_ids), "insert_seconds": insert_seconds}


COPY_SQL = """
COPY (
    SELECT e.user_id, p.trial_id, p.arm, p.nation, e.role, e.event_type, m.slug, mp.kind, s.slug,
           e.module_version, e.visit_number,
           to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           e.detail->>'block_id', e.detail->>'is_correct', e.detail->>'document_id'
    FROM learning_learningevent e
    JOIN practices_practice p ON p.id = e.practice_id
    JOIN wagtailcore_page m ON m.id = e.module_id
    JOIN modules_modulepage mp ON mp.page_ptr_id = e.module_id
    LEFT JOIN wagtailcore_page s ON s.id = e.section_id
    ORDER BY e.occurred_at, e.id
) TO STDOUT WITH CSV HEADER
"""


def time_copy(url: str, target: Path, rows: int) -> Timing:
    """Time PostgreSQL's COPY of the same rows into a file (psycopg, one connection)."""
    import psycopg

    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(COPY_SQL) as copy, target.open("wb") as out:
            for chunk in copy:
                out.write(chunk)
        seconds = time.perf_counter() - started
    target.unlink()
    return Timing("COPY (SELECT ...) TO STDOUT", seconds, rows)


def time_export(workdir: Path, number: int, rows: int) -> Timing:
    """Time the export in a child process and read its peak RSS."""
    out = workdir / f"export-{number}"
    log = workdir / f"export-{number}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed script)
            [sys.executable, "-c", EXPORT_CHILD, str(out)], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
        )
        process.wait()
    text = log.read_text(errors="replace")
    if process.returncode:
        raise SystemExit(f"The export failed:\n{text[-3000:]}")
    seconds, _, peak_kb = text.split()[-3:]
    peak = int(peak_kb) / 1024
    shutil.rmtree(out)
    return Timing("export_access_log (research package)", float(seconds), rows, peak)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def report(*, args, database: str, vendor: str, seeded: dict, timings: list[Timing], command: str, load: str) -> str:
    import django

    copies = [t for t in timings if t.what.startswith("COPY")]
    exports = [t for t in timings if not t.what.startswith("COPY")]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Research export on {'PostgreSQL' if vendor == 'postgresql' else 'SQLite'}",
        "",
        f"### Research export, {args.events:,} events ({now})",
        "",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}, "
        f"Django {django.get_version()}; load average at the end {load} (shared machine)",
        f"- Command: `{command}`",
        f"- Database: {database}; {args.practices} practices, {args.learners} learners, {args.events:,} events "
        f"inserted in {seeded['insert_seconds']:.1f} s (one INSERT ... SELECT; every tenth event a knowledge-check answer)",
        "",
        "| round | what | seconds | event rows/s | peak RSS |",
        "|---:|---|---:|---:|---:|",
    ]
    for number, timing in enumerate(timings, start=1):
        rss = f"{timing.peak_rss_mb:.0f} MB" if timing.peak_rss_mb is not None else ""
        lines.append(f"| {(number + 1) // 2 if copies else number} | {timing.what} | {timing.seconds:.2f} | "
                     f"{timing.rows_per_second:,.0f} | {rss} |")
    export_rate = statistics.median(t.rows_per_second for t in exports)
    peak = max(t.peak_rss_mb or 0 for t in exports)
    lines.append("")
    if copies:
        copy_rate = statistics.median(t.rows_per_second for t in copies)
        ratio = export_rate / copy_rate
        lines.append(
            f"Median: export {export_rate:,.0f} event rows/s, COPY {copy_rate:,.0f} rows/s; export/COPY = {ratio:.2f} "
            f"(target >= 0.50: {'met' if ratio >= 0.5 else 'not met'}). Peak RSS of the export process {peak:.0f} MB "
            f"(target < 150 MB: {'met' if peak < 150 else 'not met'})."
        )
    else:
        lines.append(f"Median: export {export_rate:,.0f} event rows/s. Peak RSS of the export process {peak:.0f} MB.")
    note = (
        "The export's time is the whole package (all files, the codebook, datapackage.json, checksums and the "
        "manifest, and the count queries for progress), measured inside its process after Django starts; its rows "
        "per second count the access-log events only."
    )
    if copies:
        note += (" COPY writes the same events with the same joins and order, without pseudonyms, section positions "
                 "or formula neutralising.")
    note += " Peak RSS (VmHWM) includes Django and the interpreter, about 92-100 MB before the export starts."
    lines += ["", note]
    return "\n".join(lines)


def record(vendor: str, events: int, block: str) -> None:
    """Replace this database's and size's block in bench/RESULTS.md (or append it)."""
    record_block(RESULTS, f"export:{vendor}:{events}", block)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL of a database named bench* (dropped and created). Empty: SQLite.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--practices", type=int, default=144)
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="Write the results into bench/RESULTS.md.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python", "bench/run.py", "export", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        workdir = Path(tmp)
        vendor, database = _prepare_environment(args, workdir)
        print(f"Seeding {database} with {args.events:,} events ...", flush=True)
        seeded = seed(practices=args.practices, learners=args.learners, events=args.events)
        print(f"Inserted in {seeded['insert_seconds']:.1f} s", flush=True)
        timings: list[Timing] = []
        for number in range(1, args.rounds + 1):
            # Alternate the order each round so drift in machine load does not favour one.
            steps = ["copy", "export"] if number % 2 else ["export", "copy"]
            for step in steps:
                if step == "copy" and vendor != "postgresql":
                    continue
                timing = (time_copy(args.database_url, workdir / "copy.csv", args.events) if step == "copy"
                          else time_export(workdir, number, args.events))
                rss = f"  peak RSS {timing.peak_rss_mb:.0f} MB" if timing.peak_rss_mb else ""
                print(f"round {number} {timing.what:40s} {timing.seconds:8.2f} s "
                      f"{timing.rows_per_second:12,.0f} rows/s{rss}", flush=True)
                timings.append(timing)
        block = report(args=args, database=database, vendor=vendor, seeded=seeded, timings=timings, command=command,
                       load=_load())
        print()
        print(block)
        if args.record:
            record(vendor, args.events, block)
            print(f"\nRecorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
