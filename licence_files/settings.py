"""File settings, read once at the edge into a frozen object.

| variable         | default                                        | meaning              |
|------------------|------------------------------------------------|----------------------|
| LEDGER_KEYS_DIR  | .ledger/keys                                   | departments' keys    |
| LEDGER_FILES_DIR | .ledger/files                                  | store of signed files|
| LEDGER_FONT_FILE | /usr/share/fonts/truetype/wqy/wqy-microhei.ttc | face font (TTF, TTC) |
| LEDGER_ACTOR     | (unset)                                        | acting department    |

In ``LEDGER_KEYS_DIR`` each department ``<USCC>`` has ``<USCC>.pem`` (its Ed25519
command key, as ``ledger sign --keys`` reads it) and, to sign files,
``<USCC>.file-key.pem`` (ECDSA P-256 private key), ``<USCC>.file-cert.pem`` (its
certificate, then the chain up to the root) and ``<USCC>.file-crl.pem`` (the CA's
current CRLs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@dataclass(frozen=True)
class FileSettings:
    keys_dir: Path
    files_dir: Path
    font_file: Path
    actor: str | None

    def command_key(self, code: str) -> Path:
        return self.keys_dir / f"{code}.pem"

    def file_material(self, code: str) -> tuple[Path, Path, Path]:
        """(private key, certificate chain, CRLs) of a department's file signer."""
        base = self.keys_dir / code
        return (Path(f"{base}.file-key.pem"), Path(f"{base}.file-cert.pem"),
                Path(f"{base}.file-crl.pem"))


def load_file_settings(env: Mapping[str, str] | None = None) -> FileSettings:
    env = os.environ if env is None else env
    return FileSettings(
        keys_dir=Path(env.get("LEDGER_KEYS_DIR") or ".ledger/keys"),
        files_dir=Path(env.get("LEDGER_FILES_DIR") or ".ledger/files"),
        font_file=Path(env.get("LEDGER_FONT_FILE") or DEFAULT_FONT),
        actor=env.get("LEDGER_ACTOR") or None,
    )
