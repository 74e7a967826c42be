"""``ledger audit --checkpoint FILE``: read a third party's checkpoint, say what became of it."""

from __future__ import annotations

from pathlib import Path

from commands.output import err
from ledger.checkpoint_audit import CheckpointAuditor
from ledger.errors import ConfigurationError
from ledger.transparency import Checkpoint, CheckpointError, parse_held


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
