"""What bounds a cluster of consumers against one PostgreSQL (docs/scaling.md).

    python -m benchmarks.suite_scaling [--licences N] [--batch B] [--writers 1,2,4]

Two measurements on the real store:

* **lock hold per batch**: the signed stream through ``MessageBus.execute`` in batches
  of B (what a consumer does per partition batch), timing inside the recorder from the
  moment the insert's ``LOCK TABLE … IN EXCLUSIVE MODE`` is granted to the moment the
  transaction has committed. Every writer of every machine queues for that lock (it
  orders the notification log), so ``B / hold`` bounds the cluster's commands/s
  whatever the number of consumers;
* **commits per second**: W connections each committing small transactions that take
  the same lock and insert one row (the shortest possible hold), and W connections
  committing without the lock: what PostgreSQL's commit (WAL flush) sustains here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import psycopg

from benchmarks.suite_env import DEFAULT_PG, ledger_env, pg_schema
from commands.bootstrap import bootstrap
from commands.settings import load_settings
from ledger.integrity.signing import SigningKey, save_signing_key
from ledger.store.application import DEFAULT_INSERT_CHUNK


def lock_holds(base: str, lines: list[bytes], batch: int, chunk: int) -> dict[str, Any]:
    key = Path(mkdtemp(prefix="scaling-")) / "ledger-key.pem"
    save_signing_key(SigningKey.generate(), key)
    holds: list[tuple[float, float, int]] = []  # (wait for the lock, hold, rows)
    with pg_schema(base, "scaling") as url:
        services = bootstrap(load_settings({**ledger_env(url, key),
                                            "LEDGER_INSERT_CHUNK": str(chunk)}))
        store, recorder = services.store, services.store.recorder
        lock_table, append = recorder._lock_table, store.append_chunks  # type: ignore[attr-defined]
        granted: list[float] = []

        def timed_lock(curs: Any) -> None:
            asked = time.perf_counter()
            lock_table(curs)
            granted.append(time.perf_counter())
            waits.append(granted[-1] - asked)

        def timed_append(chunks: Any, tracking: Any = None) -> list[int]:
            granted.clear()
            rows = [0]

            def counted() -> Any:
                for chunk in chunks:
                    rows[0] += len(chunk)
                    yield chunk

            # The lock is sent before the first chunk, and later chunks are made while it
            # is held (ledger/store/pg_recorder.py): the hold includes their making.
            ids: list[int] = append(counted(), tracking)
            if granted:
                holds.append((waits[-1], time.perf_counter() - granted[-1], rows[0]))
            return ids

        waits: list[float] = []
        recorder._lock_table = timed_lock  # type: ignore[attr-defined]
        store.append_chunks = timed_append  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            for i in range(0, len(lines), batch):
                services.bus.execute(lines[i:i + batch])
            wall = time.perf_counter() - started
        finally:
            services.close()
    full = [h for h in holds if h[2] >= batch]  # whole batches (the last may be short)
    hold_ms = statistics.median(h[1] for h in full or holds) * 1e3
    rows = statistics.median(h[2] for h in full or holds)
    return {"batches": len(holds), "commands_per_batch": batch, "rows_per_batch": rows,
            "hold_ms_median": round(hold_ms, 2),
            "hold_ms_p90": round(sorted(h[1] for h in holds)[int(len(holds) * 0.9)] * 1e3, 2),
            "hold_share_of_wall": round(sum(h[1] for h in holds) / wall, 3),
            "one_writer_commands_per_s": round(len(lines) / wall),
            "lock_bound_commands_per_s": round(batch / (hold_ms / 1e3))}


def commits(base: str, writers: int, seconds: float, lock: bool) -> float:
    """Commits per second of ``writers`` connections inserting one row each time."""
    table = f"scaling_commits_{'lock' if lock else 'free'}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, v bytea)")
    counts = [0] * writers
    stop = time.perf_counter() + seconds

    def work(n: int) -> None:
        with psycopg.connect(base) as conn:
            while time.perf_counter() < stop:
                with conn.transaction():
                    if lock:
                        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
                    conn.execute(f"INSERT INTO {table} (v) VALUES (%s)", (b"x" * 200,))
                counts[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {table}")
    return sum(counts) / seconds


def main(argv: list[str] | None = None) -> int:
    from benchmarks.suite_ingest import command_lines

    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_scaling",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--database", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    with psycopg.connect(args.database) as conn:
        pg = {name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
              for name in ("fsync", "synchronous_commit", "wal_sync_method", "commit_delay")}
    lines = command_lines(args.licences)
    # The default chunks (rows sent while the rest are made: the lock is held longer) and
    # LEDGER_INSERT_CHUNK=0 (the batch sent once made: the shortest hold).
    out: dict[str, Any] = {
        "postgres": pg, "lock": lock_holds(args.database, lines, args.batch, DEFAULT_INSERT_CHUNK),
        "lock_whole_batch": lock_holds(args.database, lines, args.batch, 0), "commits_per_s": {}}
    for w in [int(x) for x in args.writers.split(",")]:
        out["commits_per_s"][w] = {
            "with_lock": round(commits(args.database, w, args.seconds, True)),
            "without_lock": round(commits(args.database, w, args.seconds, False))}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
