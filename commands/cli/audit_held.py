"""The audit's transparency part: the leaf table and a third party's checkpoint
(``ledger audit --checkpoint FILE``), read here and judged by
:class:`~ledger.transparency.checkpoint_audit.CheckpointAuditor`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from commands.bootstrap import read_source
from commands.cli.output import err
from commands.settings import Settings
from ledger.errors import ConfigurationError
from ledger.store.event_store import DRIVER_ERRORS, EventStore
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
    """The read database holding the leaf table, or None: none built yet (an SQLite file of
    its own that does not exist is not created by an audit), or unopenable storage (the
    event audit reports the damage). Read models of another ledger are dropped first, so
    their leaves are not reported as this ledger's damage (ledger/store/read_database.py)."""
    own = own_file(settings.database_url)
    if own is not None and not own.exists():
        return None
    try:
        db = ProjectionDB(settings.read_models_url)
    except ConfigurationError:
        return None
    try:
        source = read_source(settings, store, db)
        if source is not None:
            source.check()
    except DRIVER_ERRORS:
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
