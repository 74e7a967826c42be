"""The sections of :class:`commands.settings.Settings` and how each is read from the
environment (the variables, defaults and meanings are in commands/settings.py).

Only :func:`commands.settings.load_settings` calls the ``load_*`` functions here; the
packages receive the frozen sections it builds (licence_files a :class:`FileSettings`,
sharing a :class:`ServiceSettings` and a :class:`PageSettings`, consumers a
:class:`KafkaClientSettings` through ``consumers.config.kafka_options``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError

T = TypeVar("T")

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
DEFAULT_VERIFY_WORKERS = 1
MAX_BODY = 1 << 20  # one command: the same bound as a wire-format line
SESSION_SECONDS = 8 * 3600


class PageSettingsError(ConfigurationError):
    """A page setting that is not what is expected (shown by the CLI like any other)."""


@dataclass(frozen=True)
class Checked(Generic[T]):
    """A value read at load time, or the ConfigurationError reading it raised: the error
    is raised where the value is used, so only what needs it stops on it."""

    value: T | None = None
    error: ConfigurationError | None = None

    def get(self) -> T:
        if self.error is not None:
            raise self.error.with_traceback(None)
        assert self.value is not None
        return self.value


def check(load: Callable[[], T]) -> Checked[T]:
    try:
        return Checked(load())
    except ConfigurationError as exc:
        return Checked(error=exc)


@dataclass(frozen=True)
class FileSettings:
    keys_dir: Path = Path(".ledger/keys")
    files_dir: Path = Path(".ledger/files")
    font_file: Path = DEFAULT_FONT
    actor: str | None = None
    checked_public_url: Checked[str] = Checked(DEFAULT_PUBLIC_URL)

    @property
    def public_url(self) -> str:
        """What new files' QR codes point at (LEDGER_PUBLIC_URL); raises if it is bad."""
        return self.checked_public_url.get()

    def command_key(self, code: str) -> Path:
        return self.keys_dir / f"{code}.pem"

    def file_material(self, code: str) -> tuple[Path, Path, Path]:
        """(private key, certificate chain, CRLs) of a department's file signer."""
        base = self.keys_dir / code
        return (Path(f"{base}.file-key.pem"), Path(f"{base}.file-cert.pem"),
                Path(f"{base}.file-crl.pem"))


@dataclass(frozen=True)
class KafkaClientSettings:
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    poll_ms: int = 500
    park_max_seconds: float = 60.0
    park_check_ms: int = 500
    verify_workers: int = DEFAULT_VERIFY_WORKERS


@dataclass(frozen=True)
class ServiceSettings:
    public_url: str = DEFAULT_PUBLIC_URL
    max_body: int = MAX_BODY
    max_file: int = 16 << 20
    group_commit_seconds: float = 0.002
    max_batch: int = 500
    public_rate: float = 5.0
    public_burst: int = 20
    request_timeout: float = 30.0
    kafka_wait: float = 5.0
    body_timeout: float = 20.0
    download_ttl: float = 300.0
    files_dir: str = ".ledger/files"


@dataclass(frozen=True)
class PageSettings:
    secret: bytes = field(repr=False)
    cookie_secure: bool = False
    demo_login: bool = True
    keys_dir: Path = Path(".ledger/keys")
    font_file: Path = DEFAULT_FONT
    session_seconds: int = SESSION_SECONDS

    @classmethod
    def fresh(cls) -> PageSettings:
        """The defaults, with a random session key (every session ends at a restart)."""
        return cls(secrets.token_bytes(32))


def env_count(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    """A whole-number setting of at least ``minimum``; unset or empty: ``default``."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(
            f"{name}={text!r}: expected a whole number of at least {minimum}")
    return value


def load_public_url(env: Mapping[str, str]) -> str:
    """``LEDGER_PUBLIC_URL`` without a trailing slash: an http(s) URL with no query."""
    text = (env.get("LEDGER_PUBLIC_URL") or DEFAULT_PUBLIC_URL).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        raise ConfigurationError(
            f"LEDGER_PUBLIC_URL={text!r}: expected the service's base URL, such as"
            " https://licences.example.gov.cn (http or https, no query or fragment)")
    return text


def load_files(env: Mapping[str, str], public_url: Checked[str]) -> FileSettings:
    return FileSettings(
        keys_dir=Path(env.get("LEDGER_KEYS_DIR") or ".ledger/keys"),
        files_dir=Path(env.get("LEDGER_FILES_DIR") or ".ledger/files"),
        font_file=Path(env.get("LEDGER_FONT_FILE") or DEFAULT_FONT),
        actor=env.get("LEDGER_ACTOR") or None,
        checked_public_url=public_url,
    )


def load_kafka(env: Mapping[str, str]) -> KafkaClientSettings:
    session = env_count(env, "LEDGER_KAFKA_SESSION_TIMEOUT_MS", 10_000)
    heartbeat = env_count(env, "LEDGER_KAFKA_HEARTBEAT_MS", min(3_000, session // 3))
    if heartbeat * 3 > session:
        raise ConfigurationError(
            f"LEDGER_KAFKA_HEARTBEAT_MS={heartbeat} must be at most a third of"
            f" LEDGER_KAFKA_SESSION_TIMEOUT_MS={session}"
        )
    return KafkaClientSettings(
        session_timeout_ms=session,
        heartbeat_interval_ms=heartbeat,
        poll_ms=env_count(env, "LEDGER_KAFKA_POLL_MS", 500),
        park_max_seconds=float(env_count(env, "LEDGER_PARK_MAX_SECONDS", 60, minimum=0)),
        park_check_ms=env_count(env, "LEDGER_PARK_CHECK_MS", 500),
        verify_workers=env_count(env, "LEDGER_VERIFY_WORKERS", DEFAULT_VERIFY_WORKERS,
                                 minimum=0),
    )


def load_service(env: Mapping[str, str], public_url: Checked[str], batch_size: int,
                 files: FileSettings) -> ServiceSettings:
    return ServiceSettings(
        public_url=public_url.get(),
        max_body=env_count(env, "LEDGER_MAX_BODY", MAX_BODY, minimum=1024),
        max_file=env_count(env, "LEDGER_MAX_FILE", 16 << 20, minimum=1024),
        group_commit_seconds=env_count(env, "LEDGER_GROUP_COMMIT_MS", 2, minimum=0) / 1000,
        max_batch=batch_size,  # LEDGER_BATCH_SIZE, checked with the top level
        public_rate=float(env_count(env, "LEDGER_PUBLIC_RATE", 5, minimum=1)),
        public_burst=env_count(env, "LEDGER_PUBLIC_BURST", 20, minimum=1),
        request_timeout=float(env_count(env, "LEDGER_REQUEST_TIMEOUT", 30, minimum=1)),
        body_timeout=float(env_count(env, "LEDGER_BODY_TIMEOUT", 20, minimum=1)),
        kafka_wait=env_count(env, "LEDGER_KAFKA_WAIT_MS", 5000, minimum=0) / 1000,
        download_ttl=float(env_count(env, "LEDGER_DOWNLOAD_TTL", 300, minimum=1)),
        files_dir=str(files.files_dir),
    )


def _page_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip()
    if not value:
        return default
    if value not in ("0", "1"):
        raise PageSettingsError(f"{name}={value!r}: expected 0 or 1")
    return value == "1"


def load_pages(env: Mapping[str, str], files: FileSettings, embedded: bool = True
               ) -> PageSettings:
    """The pages' settings. The stand-in logins (anyone may sign in as any holder, or as a
    department whose keys the server holds) are on by default only for the embedded
    SQLite ledger, the demo's; a PostgreSQL deployment turns them on explicitly."""
    given = env.get("LEDGER_SESSION_SECRET", "")
    if given and len(given) < 32:
        raise PageSettingsError("LEDGER_SESSION_SECRET: expected at least 32 characters"
                                f" (a random secret), not {len(given)}")
    return PageSettings(
        # A random key per start ends every session at a restart: fine for the demo; set
        # the variable when several processes serve the pages.
        secret=given.encode() if given else secrets.token_bytes(32),
        cookie_secure=_page_flag(env, "LEDGER_COOKIE_SECURE", False),
        demo_login=_page_flag(env, "LEDGER_PAGES_DEMO_LOGIN", embedded),
        keys_dir=files.keys_dir, font_file=files.font_file)
