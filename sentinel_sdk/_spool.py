"""The disk spool: events kept on disk while the broker cannot take them.

Storage is one SQLite database in WAL mode (stdlib ``sqlite3``) per spool
directory. Why SQLite: every write is an atomic transaction, so a process
killed mid-write (``kill -9``) loses at most the batch it was writing and never
corrupts what is already there; SQLite's own locking lets several processes
append to one spool safely.

fsync policy: ``synchronous=NORMAL`` in WAL mode. A committed batch survives
the process crashing or being killed; after an operating-system crash or power
loss the last batches committed since the previous WAL checkpoint may be lost,
but the spool is never corrupted. (``FULL`` would fsync every batch, costing a
disk flush each time the sender spills.)

Replay: the oldest events first (by insertion sequence). One process at a time
replays a spool: it holds an ``flock`` on ``replay.lock``, which the kernel
releases when the process dies, however it dies, so a new process takes over at
once. Other processes only append. (Without ``fcntl``, e.g. on Windows, every
process replays; at-least-once still holds, duplicates become likelier.)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from ._log import log_rate_limited

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Spool", "SpoolRow", "default_spool_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    events INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (id, events, bytes) VALUES (0, 0, 0);
CREATE TRIGGER IF NOT EXISTS events_insert AFTER INSERT ON events BEGIN
    UPDATE totals SET events = events + 1, bytes = bytes + length(NEW.payload) WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS events_delete AFTER DELETE ON events BEGIN
    UPDATE totals SET events = events - 1, bytes = bytes - length(OLD.payload) WHERE id = 0;
END;
"""


# Python's sqlite3 releases the GIL around every sqlite3_step(), i.e. per row for
# executemany() and fetchall(). With a busy app thread each release costs the sender
# up to one GIL switch interval (5 ms) to get back in, so the spool moves many rows
# per step: multi-row INSERTs, IN-list DELETEs, and reads packed into one JSON row.
_ROWS_PER_STATEMENT = 200  # 4 variables a row: stays under SQLite's old 999 limit
_IDS_PER_STATEMENT = 900
_READ_ROWS = "SELECT seq, event_id, topic, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
_READ_PACKED = (
    "SELECT coalesce(json_group_array(json_array(seq, event_id, topic, CAST(payload AS TEXT))),"
    " '[]') FROM (SELECT seq, event_id, topic, payload FROM events WHERE seq > ? ORDER BY seq"
    " LIMIT ?)"
)
_HAS_JSON = sqlite3.sqlite_version_info >= (3, 38, 0)  # JSON functions built in


@functools.cache
def _insert_sql(rows: int) -> str:
    values = ",".join(["(?, ?, ?, ?)"] * rows)
    return f"INSERT INTO events (event_id, topic, payload, created_at) VALUES {values}"


class SpoolRow(NamedTuple):
    """One spooled event."""

    seq: int
    event_id: str
    topic: str
    payload: bytes


def _user_cache_dir() -> Path:
    if sys.platform == "win32":  # pragma: no cover
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":  # pragma: no cover
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def default_spool_dir(brokers: Sequence[str], topic: str) -> str:
    """``<user cache dir>/llm-sentinel/spool/<topic>-<hash of brokers and topic>``."""
    digest = hashlib.sha256(f"{','.join(sorted(brokers))}|{topic}".encode()).hexdigest()[:12]
    safe_topic = "".join(c if c.isalnum() or c in "._-" else "_" for c in topic)[:60]
    return str(_user_cache_dir() / "llm-sentinel" / "spool" / f"{safe_topic}-{digest}")


class Spool:
    """A durable FIFO of serialized events, bounded by ``max_bytes`` of payload.

    Thread-safe (one lock around one connection); opened lazily on first use.
    """

    def __init__(self, directory: str, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._lock_fd: int | None = None

    # -- connection ------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The database file."""
        return self.directory / "spool.sqlite3"

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                # A file that is not a database (or damaged beyond SQLite's recovery):
                # keep it for inspection, start a new spool rather than stop spooling.
                aside = self.path.with_name(f"spool.corrupt-{int(time.time())}.sqlite3")
                log_rate_limited(
                    "spool-corrupt",
                    "sentinel_sdk: spool %s is unreadable (%s); moved aside to %s",
                    self.path,
                    exc,
                    aside,
                )
                os.replace(self.path, aside)
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect on a new file
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Release the replay lock and close the database."""
        with self._lock:
            self.release_replay()
            if self._db is not None:
                self._db.close()
                self._db = None

    def abandon_after_fork(self) -> None:
        """In a forked child: never touch the parent's connection or lock again.

        SQLite forbids using a connection across ``fork()``; the inherited lock fd
        is closed (the parent's lock stays with the parent). A fresh connection is
        opened on next use.
        """
        _leaked.append(self._db)  # not closed: closing could disturb the parent's locks
        self._db = None
        self._lock = threading.Lock()
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing -----------------------------------------------------------------------

    def append(self, rows: Sequence[tuple[str, str, bytes]]) -> int:
        """Store ``(event_id, topic, payload)`` rows in order, as far as ``max_bytes``
        allows; returns how many were stored (the first ones)."""
        if not rows:
            return 0
        now = time.time()
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                used = db.execute("SELECT bytes FROM totals WHERE id = 0").fetchone()[0]
                room = self.max_bytes - used
                fitting = 0
                for _, _, payload in rows:
                    room -= len(payload)
                    if room < 0:
                        break
                    fitting += 1
                for start in range(0, fitting, _ROWS_PER_STATEMENT):
                    chunk = rows[start : min(fitting, start + _ROWS_PER_STATEMENT)]
                    db.execute(_insert_sql(len(chunk)), [x for row in chunk for x in (*row, now)])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return fitting

    # -- replaying ---------------------------------------------------------------------

    def acquire_replay(self) -> bool:
        """Try to become this spool's replayer (non-blocking). True if we are."""
        if self._lock_fd is not None:
            return True
        if fcntl is None:  # pragma: no cover
            return True
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "replay.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def release_replay(self) -> None:
        """Stop being the replayer (another process may take over)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the only fd releases the flock
            self._lock_fd = None

    def read(self, after_seq: int, limit: int) -> list[SpoolRow]:
        """Up to ``limit`` rows with ``seq > after_seq``, oldest first."""
        with self._lock:
            db = self._conn()
            if _HAS_JSON:
                (packed,) = db.execute(_READ_PACKED, (after_seq, limit)).fetchone()
                return [
                    SpoolRow(seq, event_id, topic, payload.encode())
                    for seq, event_id, topic, payload in json.loads(packed)
                ]
            cursor = db.execute(_READ_ROWS, (after_seq, limit))
            return [SpoolRow(*row) for row in cursor.fetchall()]

    def delete(self, seqs: Iterable[int]) -> None:
        """Remove delivered rows."""
        ids = list(seqs)
        if not ids:
            return
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(ids), _IDS_PER_STATEMENT):
                    chunk = ids[start : start + _IDS_PER_STATEMENT]
                    db.execute(
                        f"DELETE FROM events WHERE seq IN ({','.join('?' * len(chunk))})", chunk
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if db.execute("SELECT events FROM totals WHERE id = 0").fetchone()[0] == 0:
                db.execute("PRAGMA incremental_vacuum")

    def clear(self) -> int:
        """Delete every row; returns how many there were."""
        with self._lock:
            db = self._conn()
            count: int = db.execute("SELECT events FROM totals WHERE id = 0").fetchone()[0]
            db.execute("DELETE FROM events")
            db.execute("PRAGMA incremental_vacuum")
            return count

    def totals(self) -> tuple[int, int]:
        """``(events, payload bytes)`` currently spooled, by every process."""
        with self._lock:
            if self._db is None and not self.path.exists():
                return 0, 0
            row = self._conn().execute("SELECT events, bytes FROM totals WHERE id = 0").fetchone()
            return int(row[0]), int(row[1])


# Connections inherited from a parent process: kept referenced so their
# finalizers never run in the child.
_leaked: list[object] = []
