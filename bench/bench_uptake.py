"""Uptake at national scale: the dashboard's and the API's uptake answer from the rollups against the raw events.

What it does, on a throwaway PostgreSQL database (--database-url, whose name must start with "bench"):
1. migrates, seeds the demo modules (team and in-depth), --practices practices (arms alternate
   implementation and control, all randomised 2025-01-06; one in a hundred withdrew keeping its
   data, half on 2025-03-03 and half on 2025-06-02, in summer time) and twenty learners per
   practice with five roles, then inserts --events page views with one INSERT ... SELECT over a
   generated series: visits of eight views three minutes apart, each learner's visits a week
   apart, alternating the two modules, so a learner is active on about one day per visit; then
   completions for three in five learners per module and a few protocol deviations per control
   practice. Control practices get views too: the point is the volume, not the trial's rules
   (the services would refuse them);
2. fills the rollups (`fill_rollups`, timed), then runs verify_rollups' comparison once for the
   whole period (every figure of every practice, rollups against raw);
3. measures, in this process, the server time of: the dashboard's report (research.dashboard.data.report_for
   with no filters: every trial practice), the API's `GET /api/v1/uptake/practices/` and
   `GET /api/v1/uptake/arms/` (Django's test client: token check, throttle, the report, JSON), and the
   dashboard's report for one month (a dated period reads the daily rows), each with the rollups
   (the default) and with the raw path (`source="raw"`), alternating, --rounds times; reports medians;
4. prints a Markdown block and, with --record, writes it into bench/RESULTS.md.

    .venv/bin/python bench/run.py uptake --database-url postgres://postgres@127.0.0.1:5432/bench_uptake \
        [--events 10000000] [--practices 6500] [--rounds 3] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

from bench.common import cpu_model, record_block, recreate_postgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
LEARNERS_PER_PRACTICE = 20
VIEWS_PER_VISIT = 8
ROLES = ("gp", "practice_nurse", "hca", "practice_manager", "reception_admin")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def seed(*, practices: int, events: int) -> dict:
    """Migrate, make the practices and learners, insert the events, completions and deviations; return timings."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from demo.modules import seed_demo_modules
    from modules.models import ModulePage
    from practices.models import Arm, Practice, WithdrawalDataChoice

    call_command("migrate", verbosity=0, interactive=False)
    seed_demo_modules()
    team, in_depth = ModulePage.objects.get(slug="team"), ModulePage.objects.get(slug="in-depth")
    Practice.objects.bulk_create(
        (
            Practice(
                ods_code=f"Z{n:05d}", name=f"Bench practice {n}", nation="england",
                arm=Arm.IMPLEMENTATION if n % 2 else Arm.CONTROL, trial_id=f"BENCH-{n:05d}",
                randomised_on=date(2025, 1, 6), join_code=f"B{n:07d}",
                withdrawn_on=date(2025, 3, 3) if n % 100 == 50 else None,
                withdrawal_data_choice=WithdrawalDataChoice.RETAIN if n % 100 == 50 else "",
            )
            for n in range(practices)
        ),
        batch_size=2000,
    )
    practice_ids = list(Practice.objects.order_by("id").values_list("id", flat=True))
    learners = practices * LEARNERS_PER_PRACTICE
    user_model = get_user_model()
    user_model.objects.bulk_create(
        (user_model(email=f"bench-learner-{n}@example.org", first_name="Bench", last_name=f"Learner {n}")
         for n in range(learners)),
        batch_size=5000,
    )
    user_ids = list(user_model.objects.order_by("id").values_list("id", flat=True))
    assert practice_ids == list(range(practice_ids[0], practice_ids[0] + practices))
    assert user_ids == list(range(user_ids[0], user_ids[0] + learners))
    p0, u0 = practice_ids[0], user_ids[0]
    role_case = "CASE ({u} % 5) " + " ".join(f"WHEN {k} THEN '{role}'" for k, role in enumerate(ROLES)) + " END"
    visits = events // VIEWS_PER_VISIT
    view_role = role_case.format(u=f"(v % {learners})")
    # Visit v belongs to learner v % L and is that learner's visit v / L + 1; the learner's visits
    # are a week apart (spread over the week by learner), alternating team and in-depth.
    views_sql = f"""
        INSERT INTO learning_learningevent
            (user_id, practice_id, role, module_id, section_id, module_version, event_type, occurred_at,
             visit_number, detail)
        SELECT {u0} + (v % {learners}), {p0} + ((v % {learners}) % {practices}), {view_role},
               CASE WHEN (v / {learners}) % 2 = 0 THEN {team.pk} ELSE {in_depth.pk} END, NULL, 1,
               CASE WHEN k = 0 THEN 'module_view' ELSE 'section_view' END,
               TIMESTAMPTZ '2025-01-06 00:00:00+00' + (v / {learners}) * INTERVAL '7 days'
                 + ((v % {learners}) * 604800 / {learners}) * INTERVAL '1 second' + k * INTERVAL '3 minutes',
               v / {learners} + 1, '{{}}'::jsonb
        FROM generate_series(0::bigint, {visits - 1}) AS v, generate_series(0, {VIEWS_PER_VISIT - 1}) AS k
    """  # noqa: S608 (numbers and fixed text built here, no input)
    rounds = max(1, visits // learners)
    completions_sql = f"""
        INSERT INTO learning_modulecompletion
            (user_id, module_id, practice_id, role, module_version, completed_at, engagement_percent, cycle)
        SELECT {u0} + u, m.id, {p0} + (u % {practices}), {role_case.format(u="u")}, 1,
               TIMESTAMPTZ '2025-01-06 00:00:00+00' + LEAST({rounds - 1}, 3 + m.shift) * INTERVAL '7 days'
                 + (u * 604800 / {learners}) * INTERVAL '1 second' + INTERVAL '30 minutes',
               100.00, 1
        FROM generate_series(0::bigint, {learners - 1}) AS u,
             (VALUES ({team.pk}, 0), ({in_depth.pk}, 1)) AS m(id, shift)
        WHERE u % 5 < 3
    """  # noqa: S608
    deviations_sql = f"""
        INSERT INTO learning_protocoldeviation (user_id, practice_id, role, module_id, section_id, occurred_at, path)
        SELECT {u0} + p, {p0} + p, 'gp', {team.pk}, NULL,
               TIMESTAMPTZ '2025-01-20 09:00:00+00' + n * INTERVAL '3 days', '/modules/team/'
        FROM generate_series(0, {practices - 1}) AS p, generate_series(0, 2) AS n
        WHERE p % 2 = 0
    """  # noqa: S608
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(views_sql)
        cursor.execute(completions_sql)
        cursor.execute(deviations_sql)
        cursor.execute("ANALYZE")
    insert_seconds = time.perf_counter() - started
    return {"insert_seconds": insert_seconds, "learners": learners, "visits": visits}


def withdraw_some() -> None:
    """Make one practice in a hundred withdrawn (data kept), half in winter and half in summer time (idempotent)."""
    from practices.models import Practice, WithdrawalDataChoice

    withdrawn = list(Practice.objects.filter(ods_code__regex=r"50$").order_by("id").values_list("id", flat=True))
    for index, practice_id in enumerate(withdrawn):
        Practice.objects.filter(pk=practice_id).update(
            withdrawn_on=date(2025, 3, 3) if index % 2 == 0 else date(2025, 6, 2),
            withdrawal_data_choice=WithdrawalDataChoice.RETAIN,
        )


def api_client():
    """Return Django's test client and a researcher's API token (with the second factor the tokens need)."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.roles import RESEARCHER
    from research.api.tokens import create_api_token

    # A new researcher per run: a reused database keeps the last run's.
    email = f"bench-researcher-{time.time_ns()}@example.org"
    user = get_user_model().objects.create_user(email=email, password="bench-only")  # noqa: S106
    user.groups.add(Group.objects.get_or_create(name=RESEARCHER)[0])
    TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(user)
    return Client(), create_api_token(user=user, name="bench", days=30).secret


def measure(*, rounds: int) -> list[tuple[str, str, float, float]]:
    """Return (what, source, seconds, CPU seconds) for each surface and source, alternating sources each round."""
    import research.api.views as api_views
    from learning.selectors import uptake
    from research.dashboard.data import Filters, report_for

    client, secret = api_client()
    real_report = uptake.uptake_report

    def with_source(source: str):
        def report(**kwargs):
            return real_report(**kwargs, source=source)

        return report

    def dashboard(filters: Filters):
        def run(source: str) -> None:
            selected = uptake.uptake_report
            # report_for calls learning.selectors.uptake.uptake_report through its own import.
            import research.dashboard.data as data

            data.uptake_report = with_source(source)
            try:
                report_for(filters)
            finally:
                data.uptake_report = selected

        return run

    def api(path: str):
        def run(source: str) -> None:
            api_views.uptake_report = with_source(source)
            try:
                response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
                assert response.status_code == 200, response.content[:300]
            finally:
                api_views.uptake_report = real_report

        return run

    surfaces = [
        ("dashboard report (all trial practices, no period)", dashboard(Filters())),
        ("API GET /api/v1/uptake/practices/", api("/api/v1/uptake/practices/")),
        ("API GET /api/v1/uptake/arms/", api("/api/v1/uptake/arms/")),
        ("dashboard report, one month (2025-02-01 to 2025-03-01)",
         dashboard(Filters(start=date(2025, 2, 1), end=date(2025, 3, 1)))),
    ]
    # One warm-up each (connections, caches, first imports), not counted.
    for _name, run in surfaces:
        run("rollups")
    results = []
    for number in range(rounds):
        for name, run in surfaces:
            order = ("rollups", "raw") if number % 2 == 0 else ("raw", "rollups")
            for source in order:
                started, cpu = time.perf_counter(), time.process_time()
                run(source)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                results.append((name, source, seconds, cpu))
                print(f"round {number + 1} {name:60s} {source:8s} {seconds * 1000:10.1f} ms  (CPU {cpu * 1000:.0f} ms)",
                      flush=True)
    return results


def report(*, args, command: str, seeded: dict, fill_seconds: float, verify: tuple[int, float], counts: dict,
           results: list[tuple[str, str, float, float]], load: str) -> str:
    import django

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Uptake rollups on PostgreSQL, {args.practices:,} practices, {args.events:,} events ({now})",
        "",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}, "
        f"Django {django.get_version()}; load average at the end {load} (shared machine: other people's test "
        "runs were using both CPUs)",
        f"- Command: `{command}`",
        f"- Data: {args.practices:,} practices (half implementation, half control; 1 in 100 withdrawn), "
        f"{seeded['learners']:,} learners, {args.events:,} page views in {seeded['visits']:,} visits, "
        f"{counts['completions']:,} completions, {counts['deviations']:,} protocol deviations; inserted in "
        f"{seeded['insert_seconds']:.0f} s (INSERT ... SELECT)",
        f"- First fill (`fill_rollups`, every practice): {fill_seconds:.0f} s, {counts['uptake_counts']:,} UptakeCount "
        f"rows and {counts['uptake_totals']:,} UptakeTotal rows",
        f"- verify_rollups' comparison for the whole period: {verify[0]} differences ({verify[1]:.0f} s for both reports)",
        "",
        "Server time in this process, median of the rounds (each round runs both sources, alternating which goes first):",
        "",
        "| what | rollups (ms) | raw events (ms) | raw / rollups | rollups: this process's CPU (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    names = list(dict.fromkeys(row[0] for row in results))
    for name in names:
        rolled = statistics.median(r[2] for r in results if r[0] == name and r[1] == "rollups") * 1000
        raw = statistics.median(r[2] for r in results if r[0] == name and r[1] == "raw") * 1000
        cpu = statistics.median(r[3] for r in results if r[0] == name and r[1] == "rollups") * 1000
        lines.append(f"| {name} | {rolled:.0f} | {raw:.0f} | {raw / rolled:.0f}x | {cpu:.0f} |")
    lines += [
        "",
        "Every round's wall-clock figures: " + "; ".join(
            f"{name.split(' (')[0]} {src} " + ", ".join(
                f"{r[2] * 1000:.0f}" for r in results if r[0] == name and r[1] == src
            ) for name in names for src in ("rollups", "raw")
        ) + " (ms). The CPU column is the Python process's own CPU time (Django, the report, JSON), without "
        "PostgreSQL's; with the machine shared, it is the steadier of the two.",
        "",
        "Rollups answer every practice without rows newer than the fill's watermarks, and the "
        f"{args.practices // 100} withdrawn practices (data kept) from their daily rows up to the cut-off: half withdrew "
        "on 2025-03-03 (00:00 UK time is a UTC midnight), half on 2025-06-02 (summer time: the last hour of the day "
        "before is taken off from its raw rows). The API's time is the whole request through Django's test client "
        "(token check, throttle, report, JSON rendering).",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL URL of a database named bench* (dropped and created).")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="Write the results into bench/RESULTS.md.")
    parser.add_argument("--seed-only", action="store_true",
                        help="Seed, fill and verify, then stop (the figures are kept in a file beside the database's name).")
    parser.add_argument("--reuse", action="store_true",
                        help="Measure a database seeded earlier with --seed-only (same --events and --practices).")
    return parser.parse_args(argv)


def _seed_file(url: str) -> Path:
    return Path(tempfile.gettempdir()) / f"bench-uptake-{urlparse(url).path.lstrip('/')}.json"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.database_url.startswith("postgres"):
        print("This benchmark needs PostgreSQL: pass --database-url postgres://.../bench_<name>.", file=sys.stderr)
        return 2
    command = " ".join([".venv/bin/python", "bench/run.py", "uptake", *(argv if argv is not None else sys.argv[1:])])
    with tempfile.TemporaryDirectory(prefix="bench-uptake-") as tmp:
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        os.environ["DJANGO_VAR_DIR"] = str(Path(tmp) / "var")
        os.environ.pop("REDIS_URL", None)
        os.environ["DATABASE_URL"] = args.database_url
        saved = _seed_file(args.database_url)
        if args.reuse:
            import django

            django.setup()
            kept = json.loads(saved.read_text())
            if (kept["events"], kept["practices"]) != (args.events, args.practices):
                raise SystemExit(f"{saved} holds {kept['events']:,} events and {kept['practices']} practices.")
            seeded, fill_seconds, counts = kept["seeded"], kept["fill_seconds"], kept["counts"]
            from learning.selectors.uptake import rollup_differences

            withdraw_some()
            started = time.perf_counter()
            differences = rollup_differences()
            verify = (len(differences), time.perf_counter() - started)
            for difference in differences[:20]:
                print("DIFFERENCE", difference, flush=True)
            print(f"verify: {verify[0]} differences in {verify[1]:.1f} s", flush=True)
        else:
            recreate_postgres(args.database_url)
            name = urlparse(args.database_url).path.lstrip("/")
            print(f"Seeding PostgreSQL {name} with {args.events:,} events ...", flush=True)
            seeded = seed(practices=args.practices, events=args.events)
            print(f"Inserted in {seeded['insert_seconds']:.1f} s", flush=True)

            from learning import rollups
            from learning.models import ModuleCompletion, ProtocolDeviation, UptakeCount, UptakeTotal
            from learning.selectors.uptake import rollup_differences

            started = time.perf_counter()
            rollups.fill_uptake_rollups()
            fill_seconds = time.perf_counter() - started
            print(f"Filled in {fill_seconds:.1f} s", flush=True)
            from django.db import connection

            with connection.cursor() as cursor:
                # As autovacuum would soon: the planner needs the new tables' statistics.
                cursor.execute("ANALYZE")
            withdraw_some()
            started = time.perf_counter()
            differences = rollup_differences()
            verify = (len(differences), time.perf_counter() - started)
            for difference in differences[:20]:
                print("DIFFERENCE", difference, flush=True)
            print(f"verify: {verify[0]} differences in {verify[1]:.1f} s", flush=True)
            counts = {
                "completions": ModuleCompletion.objects.count(), "deviations": ProtocolDeviation.objects.count(),
                "uptake_counts": UptakeCount.objects.count(), "uptake_totals": UptakeTotal.objects.count(),
            }
            saved.write_text(json.dumps({
                "events": args.events, "practices": args.practices, "seeded": seeded, "fill_seconds": fill_seconds,
                "verify": verify, "counts": counts,
            }))
            if args.seed_only:
                print(f"Seeded; figures kept in {saved}. Measure with --reuse.")
                return 0 if not differences else 1
        results = measure(rounds=args.rounds)
        block = report(args=args, command=command, seeded=seeded, fill_seconds=fill_seconds, verify=verify,
                       counts=counts, results=results, load=_load())
        print()
        print(block)
        if args.record:
            record_block(RESULTS, f"uptake:postgresql:{args.events}", block)
            print(f"\nRecorded in {RESULTS.relative_to(ROOT)}")
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main())
