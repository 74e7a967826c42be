"""The audit's transparency part: the leaf table and a third party's checkpoint
(``ledger audit --checkpoint FILE``), read here and judged by
:class:`~ledger.transparency.checkpoint_audit.CheckpointAuditor`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commands.bootstrap import read_source
from commands.cli.output import err
from commands.settings import Settings
from ledger.errors import ConfigurationError
from ledger.store.event_store import EventStore
from ledger.store.read_database import own_file
from ledger.store.sql import ProjectionDB
from ledger.transparency.checkpoint import Checkpoint, CheckpointError, parse_held
from ledger.transparency.checkpoint_audit import CheckpointAuditor
from ledger.transparency.log import stored_leaves


@contextmanager
def checkpoint_auditor(settings: Settings, store: EventStore, held: Path | None
                       ) -> Iterator[CheckpointAuditor]:
    """A checkpoint auditor that also proves the leaf table equal to the events, and
    judges the checkpoint in ``held`` if given (a bad file is bad usage: exit 2)."""
    checkpoint = None if held is None else read_held_checkpoint(held)
    db = _leaf_database(settings, store)
    try:
        yield CheckpointAuditor(checkpoint, None if db is None else stored_leaves(db))
    finally:
        if db is not None:
            db.close()


def _leaf_database(settings: Settings, store: EventStore) -> ProjectionDB | None:
    """The database whose leaf table the audit proves equal to the events, opened without
    changing what the audit judges: the read models' (on SQLite a file of their own; while
    none exists, the ledger's own file, where a ledger written before the split keeps its
    leaf table: ledger/store/read_database.py). None when it cannot be opened (the event
    audit reports the damage), or when the read file was built from another ledger: its
    leaves are not this ledger's damage, and that is said on stderr."""
    url = settings.read_models_url
    own = own_file(settings.database_url)
    if own is not None and not own.exists():
        url = settings.database_url
    try:
        db = ProjectionDB(url)
    except ConfigurationError:
        return None
    source = read_source(settings, store, db) if url != settings.database_url else None
    verdict = None
    # Any error here means the events cannot be read (the driver's, eventsourcing's or the
    # store's own type): the event audit, which runs next, reports the damage.
    with contextlib.suppress(Exception):
        verdict = None if source is None else source.verdict()
    if verdict == "another":
        err.print(f"the leaf table in {own} was built from another ledger: not compared"
                  " (the next command that opens the ledger builds it again)", markup=False)
        db.close()
        return None
    return db


def read_held_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in ``path``; a file that is not one is bad usage (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the checkpoint file {path}: {exc}") from None
    try:
        return parse_held(text)
    except CheckpointError as exc:
        raise ConfigurationError(f"{path} is not a checkpoint (expected the JSON of `ledger"
                                 f" checkpoint --json` or its signed note): {exc.message}"
                                 ) from None


def print_held(checkpoints: CheckpointAuditor) -> None:
    """One line for people on stderr: the held checkpoint extended, or why not."""
    held = checkpoints.held
    if held is None:
        return
    size = held.checkpoint.size
    if held.ok:
        err.print(f"held checkpoint of size {size}: signature verifies and the history of"
                  f" {held.events} events extends it", markup=False)
        return
    for problem in held.problems:
        err.print(f"held checkpoint of size {size}: NOT extended: {problem}", markup=False)
