"""The disk spool (``sentinel_sdk._spool.Spool``): SQLite in WAL mode, one per directory.

Order across appends, the ``max_bytes`` bound, reads after a sequence number,
deletes and totals (shared by every ``Spool`` on one directory), the replay
``flock`` between real processes (released by the kernel when the holder dies),
crash safety under ``kill -9``, recovery from a corrupt file, and a real
``os.fork()`` child that abandons the parent's connection.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sentinel_sdk import TelemetryEvent
from sentinel_sdk._spool import Spool, SpoolRow, default_spool_dir

MB = 1024 * 1024


def rows(n: int, start: int = 0, size: int = 10) -> list[tuple[str, str, bytes]]:
    return [(f"id-{i}", "topic", f"{i:0{size}d}".encode()) for i in range(start, start + n)]


def spool_at(path: Path, max_bytes: int = 10 * MB) -> Spool:
    return Spool(str(path), max_bytes)


def run_python(code: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


# -- order, bounds, totals --------------------------------------------------------------


def test_nothing_is_created_until_something_is_written(tmp_path: Path) -> None:
    spool = spool_at(tmp_path / "spool")
    assert spool.totals() == (0, 0)
    assert not (tmp_path / "spool").exists()
    assert spool.append([]) == 0
    assert not (tmp_path / "spool").exists()


def test_rows_come_back_in_insertion_order_across_appends(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    assert spool.append(rows(3)) == 3
    assert spool.append(rows(450, start=3)) == 450  # more than one INSERT statement
    assert spool.append(rows(2, start=453)) == 2
    read = spool.read(0, 10_000)
    assert [r.event_id for r in read] == [f"id-{i}" for i in range(455)]
    assert [r.seq for r in read] == sorted(r.seq for r in read)
    assert all(isinstance(r, SpoolRow) and r.topic == "topic" for r in read)
    assert read[7].payload == b"0000000007"


def test_read_after_a_sequence_number_with_a_limit(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(10))
    first = spool.read(0, 4)
    assert [r.event_id for r in first] == ["id-0", "id-1", "id-2", "id-3"]
    after = spool.read(first[-1].seq, 4)
    assert [r.event_id for r in after] == ["id-4", "id-5", "id-6", "id-7"]
    assert spool.read(after[-1].seq, 100)[-1].event_id == "id-9"
    assert spool.read(10**9, 5) == []
    assert spool.read(0, 0) == []


def test_payload_bytes_round_trip_exactly(tmp_path: Path) -> None:
    event = TelemetryEvent(
        service_name="s",
        model="m",
        prompt={"text": 'quote " backslash \\ newline \n nul \x00 emoji 😀 cjk 漢字'},  # type: ignore[arg-type]
        metadata={"k": "\u2028\u2029\x7f"},
    )
    payload = event.to_json()
    spool = spool_at(tmp_path)
    spool.append([(event.event_id, "t", payload)])
    (row,) = spool.read(0, 1)
    assert row.payload == payload
    assert TelemetryEvent.from_json(row.payload) == event


def test_max_bytes_stores_the_first_rows_that_fit(tmp_path: Path) -> None:
    spool = spool_at(tmp_path, max_bytes=100)
    assert spool.append(rows(3, size=30)) == 3  # 90 bytes
    assert spool.append(rows(2, start=3, size=10)) == 1  # exactly 100: fits; then full
    assert spool.totals() == (4, 100)
    assert spool.append(rows(1, start=9, size=1)) == 0
    second = spool_at(tmp_path / "second", max_bytes=100)
    # A row that does not fit stops the batch: later, smaller rows are not stored out of order.
    batch = [("a", "t", b"x" * 60), ("b", "t", b"x" * 50), ("c", "t", b"x" * 10)]
    assert second.append(batch) == 1
    assert [r.event_id for r in second.read(0, 10)] == ["a"]


def test_delete_and_totals(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(5, size=10))
    assert spool.totals() == (5, 50)
    seqs = [r.seq for r in spool.read(0, 5)]
    spool.delete([seqs[1], seqs[3]])
    spool.delete([])
    spool.delete([10**9])  # unknown rows: nothing happens
    assert [r.event_id for r in spool.read(0, 10)] == ["id-0", "id-2", "id-4"]
    assert spool.totals() == (3, 30)
    spool.delete(range(seqs[0], seqs[-1] + 1))
    assert spool.totals() == (0, 0)
    spool.append(rows(1, start=7))
    assert spool.read(0, 1)[0].seq > seqs[-1]  # numbers never reused: replay cursors stay valid


def test_delete_many_rows_in_one_call(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(2000))
    spool.delete([r.seq for r in spool.read(0, 1990)])
    assert [r.event_id for r in spool.read(0, 100)] == [f"id-{i}" for i in range(1990, 2000)]
    assert spool.totals()[0] == 10


def test_clear_returns_how_many_rows_there_were(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(7))
    assert spool.clear() == 7
    assert spool.totals() == (0, 0)


def test_totals_are_shared_by_every_spool_on_one_directory(tmp_path: Path) -> None:
    first, second = spool_at(tmp_path), spool_at(tmp_path)
    first.append(rows(3, size=5))
    second.append(rows(2, start=3, size=5))
    assert first.totals() == second.totals() == (5, 25)
    assert [r.event_id for r in first.read(0, 10)] == [f"id-{i}" for i in range(5)]
    second.delete([r.seq for r in second.read(0, 2)])
    assert first.totals() == (3, 15)
    first.close()
    second.close()
    assert spool_at(tmp_path).totals() == (3, 15)  # durable across opens


def test_the_database_runs_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(1))
    assert spool.path == tmp_path / "spool.sqlite3"
    db = sqlite3.connect(spool.path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()
    assert spool._db is not None
    assert spool._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_the_same_budget_holds_across_spools_on_one_directory(tmp_path: Path) -> None:
    first, second = spool_at(tmp_path, max_bytes=50), spool_at(tmp_path, max_bytes=50)
    assert first.append(rows(3, size=10)) == 3
    assert second.append(rows(3, start=3, size=10)) == 2


def test_default_spool_dir_is_per_topic_and_brokers_under_the_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one = default_spool_dir(["b:9092", "a:9092"], "llm.telemetry")
    assert one == default_spool_dir(["a:9092", "b:9092"], "llm.telemetry")  # order-free
    assert one.startswith(str(tmp_path / "llm-sentinel" / "spool" / "llm.telemetry-"))
    assert one != default_spool_dir(["a:9092"], "llm.telemetry")
    assert one != default_spool_dir(["b:9092", "a:9092"], "other")
    odd = Path(default_spool_dir(["a:1"], "../we ird/topic"))
    assert odd.parent == tmp_path / "llm-sentinel" / "spool"
    assert "/" not in odd.name and " " not in odd.name


# -- several processes -----------------------------------------------------------------


def test_two_processes_appending_at_once_keep_every_row(tmp_path: Path) -> None:
    code = """
        import sys
        from sentinel_sdk._spool import Spool
        spool = Spool(sys.argv[1], 10**8)
        for batch in range(20):
            spool.append([(f"child-{batch}-{i}", "t", b"x" * 20) for i in range(25)])
        spool.close()
    """
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(tmp_path)])
    spool = spool_at(tmp_path, max_bytes=10**8)
    try:
        for batch in range(20):
            spool.append([(f"parent-{batch}-{i}", "t", b"y" * 20) for i in range(25)])
    finally:
        assert child.wait(timeout=60) == 0
    read = spool.read(0, 10_000)
    assert spool.totals() == (1000, 20_000)
    for who in ("parent", "child"):
        mine = [r.event_id for r in read if r.event_id.startswith(who)]
        assert mine == [f"{who}-{b}-{i}" for b in range(20) for i in range(25)]


def test_a_kill_mid_write_keeps_everything_committed_before_it(tmp_path: Path) -> None:
    code = """
        import sys
        from sentinel_sdk._spool import Spool
        spool = Spool(sys.argv[1], 10**9)
        batch = 0
        while True:
            spool.append([(f"{batch}-{i}", "t", b'{"batch":%d}' % batch) for i in range(100)])
            batch += 1
            if batch == 3:
                print("writing", flush=True)
    """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
        time.sleep(0.3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    spool = spool_at(tmp_path, max_bytes=10**9)
    events, size = spool.totals()
    read = spool.read(0, 10**7)
    assert events >= 300 and events % 100 == 0  # whole batches only
    assert len(read) == events and size == sum(len(r.payload) for r in read)
    for row in read:
        batch = int(row.event_id.split("-")[0])
        assert json.loads(row.payload) == {"batch": batch}
    assert spool.append(rows(1)) == 1  # and it keeps working


HOLD_LOCK = """
    import sys, time
    from sentinel_sdk._spool import Spool
    spool = Spool(sys.argv[1], 10**7)
    print("locked" if spool.acquire_replay() else "busy", flush=True)
    time.sleep(60)
"""

TRY_LOCK = """
    import sys
    from sentinel_sdk._spool import Spool
    print(Spool(sys.argv[1], 10**7).acquire_replay())
"""


def test_another_process_cannot_replay_while_this_one_holds_the_lock(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    assert spool.acquire_replay()
    assert spool.acquire_replay()  # already ours
    assert run_python(TRY_LOCK, str(tmp_path)).stdout.strip() == "False"
    spool.release_replay()
    assert run_python(TRY_LOCK, str(tmp_path)).stdout.strip() == "True"
    assert spool.acquire_replay()
    spool.close()  # close releases it too
    assert run_python(TRY_LOCK, str(tmp_path)).stdout.strip() == "True"


def test_the_lock_is_free_once_its_holder_dies_however_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLD_LOCK), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        spool = spool_at(tmp_path)
        assert not spool.acquire_replay()
        assert not spool.acquire_replay()  # a failed try leaves nothing behind
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    assert spool.acquire_replay()
    spool.close()


# -- damage ----------------------------------------------------------------------------


def test_a_corrupt_file_is_moved_aside_and_a_new_spool_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sentinel_sdk._log._last_logged", {})
    garbage = b"this is not a database " * 500
    (tmp_path / "spool.sqlite3").write_bytes(garbage)
    spool = spool_at(tmp_path)
    with caplog.at_level("WARNING", logger="sentinel_sdk"):
        assert spool.append(rows(2)) == 2
    assert [r.event_id for r in spool.read(0, 10)] == ["id-0", "id-1"]
    aside = list(tmp_path.glob("spool.corrupt-*.sqlite3"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    spool.close()
    assert spool_at(tmp_path).totals() == (2, 20)


def test_a_corrupt_file_found_by_totals_is_recovered_too(tmp_path: Path) -> None:
    (tmp_path / "spool.sqlite3").write_bytes(b"\x00garbage" * 1000)
    spool = spool_at(tmp_path)
    assert spool.totals() == (0, 0)
    assert spool.append(rows(1)) == 1


# -- fork ------------------------------------------------------------------------------


def test_a_forked_child_abandons_the_parents_connection_and_lock(tmp_path: Path) -> None:
    spool = spool_at(tmp_path)
    spool.append(rows(2))
    assert spool.acquire_replay()
    parent_db = spool._db
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        result: dict[str, object] = {}
        try:
            spool.abandon_after_fork()
            result["new_connection"] = spool._db is None
            result["appended"] = spool.append(rows(1, start=100))
            result["ids"] = [r.event_id for r in spool.read(0, 10)]
            result["own_db"] = spool._db is not None and spool._db is not parent_db
            result["lock"] = spool.acquire_replay()  # the parent still holds it
        except BaseException as exc:
            result["error"] = repr(exc)
        finally:
            os.write(write_fd, json.dumps(result).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        child = json.loads(pipe.read())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert child == {
        "new_connection": True,
        "appended": 1,
        "ids": ["id-0", "id-1", "id-100"],
        "own_db": True,
        "lock": False,
    }
    # The parent's connection and lock are untouched by the child.
    assert spool._db is parent_db
    assert spool.append(rows(1, start=200)) == 1
    assert [r.event_id for r in spool.read(0, 10)] == ["id-0", "id-1", "id-100", "id-200"]
    assert run_python(TRY_LOCK, str(tmp_path)).stdout.strip() == "False"
    spool.close()
