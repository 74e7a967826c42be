"""The store of signed files: content-addressed, so a file's name is its ledger hash.

The ledger records hashes; the bytes live here (``<sha256>.pdf`` / ``.ofd``). Anything
read back is checked against its name, so a damaged or swapped file is never served.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.errors import ConfigurationError, NotFoundError
from ledger.integrity.canonical import sha256_hex


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from None


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, fmt: str) -> str:
        digest = sha256_hex(data)
        path = self.root / f"{digest}.{fmt}"
        if not path.exists():
            write_atomically(path, data)
        return digest

    def get(self, digest: str, fmt: str) -> bytes:
        path = self.root / f"{digest}.{fmt}"
        try:
            data = path.read_bytes()
        except OSError:
            raise NotFoundError(f"the file {digest[:16]}… is recorded in the ledger but not in"
                                f" the file store {self.root}") from None
        if sha256_hex(data) != digest:
            raise NotFoundError(f"the stored file {path} does not match its recorded hash")
        return data
