"""The access log's bytes are the same whoever writes them: the csv module (SQLite, and any database)
or PostgreSQL's COPY (research/exports/postgres.py).

The two CSV dialects differ (PostgreSQL quotes an empty string and ends rows with LF; Python
writes empty strings bare and ends rows with CRLF), so labels and event values that are awkward
in CSV are exported by each path and compared with rows worked out by hand, and on PostgreSQL the
two paths' whole packages are compared byte for byte.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import time_machine

from learning.models import LearningEvent
from research import services
from research.exports import postgres
from research.exports.package import FILE_ORDER, ExportParameters, count_rows, write_package
from research.models import CutStatus, DataCut
from research.selectors import freeze_registry
from research.services import create_cut, write_cut

from .test_export import lines, pid
from .trial import CUT_TIME, at, build_trial

pytestmark = pytest.mark.django_db

BY_PYTHON = pytest.param(False, id="csv-module")
BY_DATABASE = pytest.param(True, id="postgresql-copy", marks=pytest.mark.postgres)


def _awkward_trial() -> tuple[dict, dict]:
    """Build the trial, add three events with awkward values, and freeze it with awkward labels."""
    trial = build_trial()
    members = trial["members"]
    team, in_depth = trial["team"], trial["in_depth"]
    t1, t2 = trial["team_sections"]
    d1, d2 = trial["in_depth_sections"]
    a, f = members["a"], members["f"]
    # Values no service would record, written as rows: what the export must still write safely.
    LearningEvent.objects.create(
        user=a.user, practice=a.practice, role="=cmd|'/C calc'!A0", module=team, section=t1, module_version=1,
        event_type="@SUM(1)", occurred_at=at(3, 15, 10, 0), visit_number=3,
        detail={"block_id": 'a,"b"\nc', "is_correct": True, "document_id": 7},
    )
    LearningEvent.objects.create(
        user=a.user, practice=a.practice, role='gp "lead"', module=in_depth, section=d2, module_version=1,
        event_type="ünïcode", occurred_at=at(3, 15, 10, 1), visit_number=3,
        detail={"block_id": "", "is_correct": False},
    )
    LearningEvent.objects.create(
        user=f.user, practice=f.practice, role="hca", module=team, section=None, module_version=1,
        event_type="module_view", occurred_at=at(2, 25, 10, 2), visit_number=1, detail={"block_id": "+1"},
    )
    with time_machine.travel(CUT_TIME, tick=False):
        frozen = freeze_registry()
    p1, p5 = trial["practices"][0], trial["practices"][4]
    frozen["modules"][str(team.pk)] = {"slug": "team,one", "kind": 'say "hi"'}
    frozen["modules"][str(in_depth.pk)] = {"slug": "", "kind": "ŵelsh-ßeta ✓"}
    frozen["sections"][str(t1.pk)]["slug"] = "=SUM(A1)"
    frozen["sections"][str(t2.pk)]["slug"] = "line\nbreak"
    frozen["sections"][str(d1.pk)]["slug"] = "\rcarriage"
    frozen["sections"][str(d2.pk)]["slug"] = " spaced , "
    frozen["practices"][str(p1.pk)].update(trial_id="+44,1", arm="-minus", nation="@at")
    frozen["practices"][str(p5.pk)].update(trial_id="\tIMP-05", nation="")
    return trial, frozen


def _write(tmp_path: Path, folder: str, frozen: dict, *, in_database: bool, progress: list | None = None) -> Path:
    out = tmp_path / folder
    out.mkdir()
    write_package(
        directory=out, parameters=ExportParameters(cut_at=CUT_TIME), frozen=frozen, access_log_in_database=in_database,
        on_progress=(lambda written, total: progress.append((written, total))) if progress is not None else None,
    )
    return out


@pytest.mark.parametrize("in_database", [BY_PYTHON, BY_DATABASE])
def test_awkward_labels_and_values_are_quoted_and_neutralised_as_worked_out_by_hand(tmp_path, in_database):
    trial, frozen = _awkward_trial()
    a, b, f = (trial["members"][k].user_id for k in "abf")
    block = trial["check_id"]
    out = _write(tmp_path, "package", frozen, in_database=in_database)

    p1 = "\"'+44,1\",'-minus,'@at"
    team = '"team,one","say ""hi"""'
    assert lines(out / "access_log.csv")[1:] == [
        f"{pid(a)},{p1},gp,module_view,{team},,,1,1,2026-01-12T09:00:00Z,,,",
        f"{pid(a)},{p1},gp,section_view,{team},'=SUM(A1),1,1,1,2026-01-12T09:10:00Z,,,",
        f'{pid(a)},{p1},gp,section_view,{team},"line\nbreak",2,1,1,2026-01-12T09:20:00Z,,,',
        f'{pid(a)},{p1},gp,knowledge_check,{team},"line\nbreak",2,1,1,2026-01-12T09:21:00Z,{block},false,',
        f"{pid(a)},{p1},gp,completion,{team},,,1,1,2026-01-12T09:21:00Z,,,",
        f'{pid(a)},{p1},gp,knowledge_check,{team},"line\nbreak",2,1,1,2026-01-12T09:22:00Z,{block},true,',
        f"{pid(b)},{p1},practice_nurse,section_view,,ŵelsh-ßeta ✓,\"'\rcarriage\",1,1,1,2026-02-02T08:00:00Z,,,",
        f"{pid(b)},{p1},practice_nurse,resource_download,,ŵelsh-ßeta ✓,\"'\rcarriage\",1,1,1,2026-02-02T08:05:00Z,,,42",
        f'{pid(b)},{p1},practice_nurse,section_view,,ŵelsh-ßeta ✓," spaced , ",2,1,2,2026-02-02T09:00:00Z,,,',
        f"{pid(b)},{p1},practice_nurse,completion,,ŵelsh-ßeta ✓,,,1,2,2026-02-02T09:00:00Z,,,",
        f"{pid(f)},'\tIMP-05,implementation,,hca,section_view,{team},'=SUM(A1),1,1,1,2026-02-20T10:00:59Z,,,",
        f"{pid(f)},'\tIMP-05,implementation,,hca,module_view,{team},,,1,1,2026-02-25T10:02:00Z,'+1,,",
        f"{pid(a)},{p1},'=cmd|'/C calc'!A0,'@SUM(1),{team},'=SUM(A1),1,1,3,2026-03-15T10:00:00Z,"
        '"a,""b""\nc",true,7',
        f'{pid(a)},{p1},"gp ""lead""",ünïcode,,ŵelsh-ßeta ✓," spaced , ",2,1,3,2026-03-15T10:01:00Z,,false,',
    ]
    # A CSV reader gets every cell back as it was neutralised.
    rows = list(csv.reader(io.StringIO((out / "access_log.csv").read_bytes().decode("utf-8"), newline="")))
    assert rows[-2][1:9] == ["'+44,1", "'-minus", "'@at", "'=cmd|'/C calc'!A0", "'@SUM(1)", "team,one", 'say "hi"',
                             "'=SUM(A1)"]
    assert rows[-2][13] == 'a,"b"\nc'
    assert rows[7][8] == "'\rcarriage"


@pytest.mark.postgres
def test_on_postgresql_copy_and_the_csv_module_write_the_same_package_byte_for_byte(tmp_path, monkeypatch):
    _, frozen = _awkward_trial()
    by_python = _write(tmp_path, "python", frozen, in_database=False)
    # Two events per COPY, so the file is put together from several of them.
    monkeypatch.setattr(postgres, "COPY_ROWS", 2)
    progress: list = []
    by_database = _write(tmp_path, "database", frozen, in_database=True, progress=progress)
    for name in FILE_ORDER:
        assert (by_database / name).read_bytes() == (by_python / name).read_bytes(), name
    total = count_rows(ExportParameters(cut_at=CUT_TIME), frozen)
    # Rows written of total, reported after each COPY (seven spans of time for 14 events; those that
    # hold events report) and then per table.
    written = [done for done, _ in progress]
    assert written == sorted(set(written))
    assert len([done for done in written if done < 14]) >= 3
    assert progress[-1] == (total, total)


@pytest.mark.postgres
def test_on_postgresql_a_cut_records_its_progress_between_copies_and_finishes(monkeypatch):
    build_trial()
    monkeypatch.setattr(postgres, "COPY_ROWS", 2)
    seen: list[int] = []
    write = services.write_package

    def write_watching_progress(**kwargs):
        report = kwargs["on_progress"]

        def on_progress(written: int, total: int) -> None:
            report(written, total)
            # The connection is free again (no COPY streaming on it): the cut's row reads back.
            seen.append(DataCut.objects.get(pk=cut.pk).rows_written)

        return write(**{**kwargs, "on_progress": on_progress})

    monkeypatch.setattr(services, "write_package", write_watching_progress)
    with time_machine.travel(CUT_TIME, tick=False):
        cut = create_cut(name="spans", enqueue=False)
        write_cut(cut_id=cut.pk)
    cut.refresh_from_db()
    assert cut.status == CutStatus.READY
    assert cut.rows_written == cut.rows_total == 20
    # 11 events in six spans of time: a report after each COPY that wrote events, then one per other table.
    assert seen == sorted(set(seen))
    assert len([done for done in seen if done < 11]) >= 2
    assert seen[-1] == 20
