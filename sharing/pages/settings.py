"""The pages' settings, read once at start-up into a frozen object.

| variable                | default                 | meaning                                    |
|-------------------------|-------------------------|--------------------------------------------|
| LEDGER_SESSION_SECRET   | random at each start    | key that signs session cookies (≥ 32 chars) |
| LEDGER_COOKIE_SECURE    | 0                       | 1: cookies only over HTTPS (behind TLS)    |
| LEDGER_PAGES_DEMO_LOGIN | 1                       | 0: no stand-in logins (production)         |
| LEDGER_KEYS_DIR         | .ledger/keys            | where the platform's command key is        |
| LEDGER_FONT_FILE        | the face font           | the CJK font served to browsers            |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import ConfigurationError
from licence_files.settings import load_file_settings

SESSION_SECONDS = 8 * 3600


class PageSettingsError(ConfigurationError):
    """A page setting that is not what is expected (shown by the CLI like any other)."""


@dataclass(frozen=True)
class PageSettings:
    secret: bytes
    cookie_secure: bool
    demo_login: bool
    keys_dir: Path
    font_file: Path
    session_seconds: int = SESSION_SECONDS


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip()
    if not value:
        return default
    if value not in ("0", "1"):
        raise PageSettingsError(f"{name}={value!r}: expected 0 or 1")
    return value == "1"


def load_page_settings(env: Mapping[str, str] | None = None) -> PageSettings:
    env = os.environ if env is None else env
    given = env.get("LEDGER_SESSION_SECRET", "")
    if given and len(given) < 32:
        raise PageSettingsError("LEDGER_SESSION_SECRET: expected at least 32 characters"
                                f" (a random secret), not {len(given)}")
    files = load_file_settings(env)
    return PageSettings(
        # A random key per start ends every session at a restart: fine for the demo; set
        # the variable when several processes serve the pages.
        secret=given.encode() if given else secrets.token_bytes(32),
        cookie_secure=_flag(env, "LEDGER_COOKIE_SECURE", False),
        demo_login=_flag(env, "LEDGER_PAGES_DEMO_LOGIN", True),
        keys_dir=files.keys_dir, font_file=files.font_file)
