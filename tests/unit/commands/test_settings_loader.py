"""commands.settings.load_settings: every variable, its default, and the exact message a
bad value gives (users read these messages; other tests and docs quote them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.setting_sections import DEFAULT_FONT, PageSettingsError
from commands.settings import Settings, load_settings
from consumers.config import kafka_options
from ledger.errors import ConfigurationError


def test_defaults_of_every_section() -> None:
    s = load_settings({})
    assert (s.database_url, s.database_is_default, s.key_file, s.lane) == (
        "sqlite:///.ledger/ledger.db", True, Path(".ledger/ledger-key.pem"), "local")
    assert (s.batch_size, s.cache_size, s.max_record_bytes, s.batch_bytes,
            s.poison_attempts) == (500, 50_000, 1 << 20, 16 << 20, 3)
    assert s.inline_projections and s.kafka_bootstrap_servers is None
    assert (s.consumer_group, s.commands_topic, s.results_topic, s.dlq_topic) == (
        "licence-ledger", "licence.commands", "licence.results", "licence.commands.dlq")
    k = s.kafka
    assert (k.session_timeout_ms, k.heartbeat_interval_ms, k.poll_ms, k.park_max_seconds,
            k.park_check_ms, k.verify_workers) == (10_000, 3_000, 500, 60.0, 500, 1)
    f = s.files
    assert (f.keys_dir, f.files_dir, f.font_file, f.actor, f.public_url) == (
        Path(".ledger/keys"), Path(".ledger/files"), DEFAULT_FONT, None,
        "http://127.0.0.1:8080")
    v = s.service
    assert (v.public_url, v.max_body, v.max_file, v.group_commit_seconds, v.max_batch,
            v.public_rate, v.public_burst, v.request_timeout, v.body_timeout, v.kafka_wait,
            v.download_ttl, v.files_dir) == (
        "http://127.0.0.1:8080", 1 << 20, 16 << 20, 0.002, 500, 5.0, 20, 30.0, 20.0, 5.0,
        300.0, ".ledger/files")
    p = s.pages
    assert len(p.secret) == 32 and not p.cookie_secure and p.demo_login
    assert (p.keys_dir, p.font_file, p.session_seconds) == (
        Path(".ledger/keys"), DEFAULT_FONT, 8 * 3600)


def test_every_variable_is_read() -> None:
    s = load_settings({
        "LEDGER_DATABASE_URL": " postgresql://u:pw@h:5432/db?schema=x ",
        "LEDGER_KEY_FILE": "/k/ledger.pem", "LEDGER_LANE": "lane-2",
        "LEDGER_BATCH_SIZE": "7", "LEDGER_CACHE_SIZE": "0", "LEDGER_INSERT_CHUNK": "0",
        "LEDGER_INLINE_PROJECTIONS": "yes", "LEDGER_MAX_RECORD_BYTES": "256",
        "LEDGER_BATCH_BYTES": "1024", "LEDGER_POISON_ATTEMPTS": "9",
        "KAFKA_BOOTSTRAP_SERVERS": "a:1,b:2", "LEDGER_CONSUMER_GROUP": "g",
        "LEDGER_COMMANDS_TOPIC": "c", "LEDGER_RESULTS_TOPIC": "r", "LEDGER_DLQ_TOPIC": "d",
        "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "9000", "LEDGER_KAFKA_HEARTBEAT_MS": "3000",
        "LEDGER_KAFKA_POLL_MS": "100", "LEDGER_PARK_MAX_SECONDS": "0",
        "LEDGER_PARK_CHECK_MS": "50", "LEDGER_VERIFY_WORKERS": "0",
        "LEDGER_KEYS_DIR": "/keys", "LEDGER_FILES_DIR": "/files", "LEDGER_FONT_FILE": "/f.ttf",
        "LEDGER_ACTOR": "D1", "LEDGER_PUBLIC_URL": "https://x.example/",
        "LEDGER_MAX_BODY": "2048", "LEDGER_MAX_FILE": "4096", "LEDGER_GROUP_COMMIT_MS": "0",
        "LEDGER_PUBLIC_RATE": "2", "LEDGER_PUBLIC_BURST": "3", "LEDGER_REQUEST_TIMEOUT": "4",
        "LEDGER_BODY_TIMEOUT": "5", "LEDGER_KAFKA_WAIT_MS": "0", "LEDGER_DOWNLOAD_TTL": "6",
        "LEDGER_SESSION_SECRET": "s" * 32, "LEDGER_COOKIE_SECURE": "1",
        "LEDGER_PAGES_DEMO_LOGIN": "0",
    })
    assert (s.database_url, s.database_is_default, s.is_postgres) == (
        "postgresql://u:pw@h:5432/db?schema=x", False, True)
    assert (s.key_file, s.lane, s.batch_size, s.cache_size, s.inline_projections) == (
        Path("/k/ledger.pem"), "lane-2", 7, 0, True)
    assert s.insert_chunk == 0 and load_settings({}).insert_chunk == 100
    assert (s.max_record_bytes, s.batch_bytes, s.poison_attempts) == (256, 1024, 9)
    options = kafka_options(s)
    assert (options.servers, options.group, options.commands_topic, options.results_topic,
            options.dlq_topic, options.batch_size) == (["a:1", "b:2"], "g", "c", "r", "d", 7)
    assert (options.session_timeout_ms, options.heartbeat_interval_ms, options.poll_ms,
            options.park_max_seconds, options.park_check_ms, options.verify_workers,
            options.max_record_bytes, options.batch_bytes, options.poison_attempts) == (
        9000, 3000, 100, 0.0, 50, 0, 256, 1024, 9)
    f = s.files
    assert (f.keys_dir, f.files_dir, f.font_file, f.actor, f.public_url) == (
        Path("/keys"), Path("/files"), Path("/f.ttf"), "D1", "https://x.example")
    v = s.service
    assert (v.public_url, v.max_body, v.max_file, v.group_commit_seconds, v.max_batch,
            v.public_rate, v.public_burst, v.request_timeout, v.body_timeout, v.kafka_wait,
            v.download_ttl, v.files_dir) == (
        "https://x.example", 2048, 4096, 0.0, 7, 2.0, 3, 4.0, 5.0, 0.0, 6.0, "/files")
    p = s.pages
    assert (p.secret, p.cookie_secure, p.demo_login, p.keys_dir, p.font_file) == (
        b"s" * 32, True, False, Path("/keys"), Path("/f.ttf"))


def test_inline_projections_default_follows_the_database() -> None:
    assert not load_settings({"LEDGER_DATABASE_URL": "postgresql://h/db"}).inline_projections
    assert load_settings({"LEDGER_DATABASE_URL": "postgresql://h/db",
                          "LEDGER_INLINE_PROJECTIONS": "on"}).inline_projections
    assert not load_settings({"LEDGER_INLINE_PROJECTIONS": "no"}).inline_projections


def test_secrets_stay_out_of_the_repr() -> None:
    s = load_settings({"LEDGER_DATABASE_URL": "postgresql://u:s3cret@h/db",
                       "LEDGER_SESSION_SECRET": "p" * 40})
    assert "s3cret" not in repr(s) and "ppp" not in repr(s) and "ppp" not in repr(s.pages)


COUNTS = [  # (variable, smallest accepted): the top level stops load_settings itself
    ("LEDGER_BATCH_SIZE", 1), ("LEDGER_CACHE_SIZE", 0), ("LEDGER_INSERT_CHUNK", 0),
    ("LEDGER_MAX_RECORD_BYTES", 256),
    ("LEDGER_BATCH_BYTES", 1024), ("LEDGER_POISON_ATTEMPTS", 1),
]


@pytest.mark.parametrize(("name", "minimum"), COUNTS)
@pytest.mark.parametrize("shape", ["below", "word"])
def test_a_bad_count_of_the_top_level_stops_loading(name: str, minimum: int,
                                                    shape: str) -> None:
    text = str(minimum - 1) if shape == "below" else "many"
    with pytest.raises(ConfigurationError) as caught:
        load_settings({name: text})
    assert str(caught.value) == \
        f"{name}={text!r}: expected a whole number of at least {minimum}"


def test_a_bad_flag_stops_loading() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"LEDGER_INLINE_PROJECTIONS": "maybe"})
    assert str(caught.value) == "expected yes or no, got 'maybe'"


SECTIONS = [  # (variable, smallest accepted, the section that reports it)
    ("LEDGER_KAFKA_SESSION_TIMEOUT_MS", 1, "kafka"), ("LEDGER_KAFKA_POLL_MS", 1, "kafka"),
    ("LEDGER_PARK_MAX_SECONDS", 0, "kafka"), ("LEDGER_PARK_CHECK_MS", 1, "kafka"),
    ("LEDGER_VERIFY_WORKERS", 0, "kafka"),
    ("LEDGER_MAX_BODY", 1024, "service"), ("LEDGER_MAX_FILE", 1024, "service"),
    ("LEDGER_GROUP_COMMIT_MS", 0, "service"), ("LEDGER_PUBLIC_RATE", 1, "service"),
    ("LEDGER_PUBLIC_BURST", 1, "service"), ("LEDGER_REQUEST_TIMEOUT", 1, "service"),
    ("LEDGER_BODY_TIMEOUT", 1, "service"), ("LEDGER_KAFKA_WAIT_MS", 0, "service"),
    ("LEDGER_DOWNLOAD_TTL", 1, "service"),
]


def _section(settings: Settings, name: str) -> object:
    return getattr(settings, name)


@pytest.mark.parametrize(("name", "minimum", "section"), SECTIONS)
def test_a_bad_count_of_a_section_is_reported_where_it_is_used(name: str, minimum: int,
                                                                section: str) -> None:
    text = str(minimum - 1)
    settings = load_settings({name: text})  # `ledger apply` does not need this section
    for _ in range(2):  # every use reports it, the same way
        with pytest.raises(ConfigurationError) as caught:
            _section(settings, section)
        assert str(caught.value) == \
            f"{name}={text!r}: expected a whole number of at least {minimum}"


def test_the_heartbeat_is_at_most_a_third_of_the_session() -> None:
    settings = load_settings({"KAFKA_BOOTSTRAP_SERVERS": "a:1",
                              "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
                              "LEDGER_KAFKA_HEARTBEAT_MS": "2001"})
    with pytest.raises(ConfigurationError) as caught:
        kafka_options(settings)
    assert str(caught.value) == ("LEDGER_KAFKA_HEARTBEAT_MS=2001 must be at most a third of"
                                 " LEDGER_KAFKA_SESSION_TIMEOUT_MS=6000")
    assert load_settings({"LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000"}).kafka \
        .heartbeat_interval_ms == 2000  # the default follows a short session


def test_kafka_needs_its_brokers_before_anything_else() -> None:
    settings = load_settings({"LEDGER_KAFKA_POLL_MS": "0"})
    with pytest.raises(ConfigurationError) as caught:
        kafka_options(settings)
    assert str(caught.value) == (
        "KAFKA_BOOTSTRAP_SERVERS is not set: give the Kafka brokers as host:port[,host:port]"
        " (e.g. KAFKA_BOOTSTRAP_SERVERS=localhost:9092 with `docker compose up`)")


@pytest.mark.parametrize("bad", ["ftp://x.example", "licences.example.gov.cn",
                                 "https://x.example/?a=1", "https://x.example/#top"])
def test_a_bad_public_url_is_reported_by_files_and_service(bad: str) -> None:
    settings = load_settings({"LEDGER_PUBLIC_URL": bad})
    expected = (f"LEDGER_PUBLIC_URL={bad.rstrip('/')!r}: expected the service's base URL,"
                " such as https://licences.example.gov.cn (http or https, no query or"
                " fragment)")
    assert settings.files.keys_dir == Path(".ledger/keys")  # the rest of files is usable
    for use in (lambda: settings.files.public_url, lambda: settings.service):
        with pytest.raises(ConfigurationError) as caught:
            use()
        assert str(caught.value) == expected


@pytest.mark.parametrize(("env", "message"), [
    ({"LEDGER_SESSION_SECRET": "short"},
     "LEDGER_SESSION_SECRET: expected at least 32 characters (a random secret), not 5"),
    ({"LEDGER_COOKIE_SECURE": "yes"}, "LEDGER_COOKIE_SECURE='yes': expected 0 or 1"),
    ({"LEDGER_PAGES_DEMO_LOGIN": "true"}, "LEDGER_PAGES_DEMO_LOGIN='true': expected 0 or 1"),
])
def test_a_bad_page_setting_is_reported_by_the_pages(env: dict[str, str],
                                                      message: str) -> None:
    settings = load_settings(env)
    assert settings.service.max_body == 1 << 20  # the service's own section is fine
    with pytest.raises(PageSettingsError) as caught:
        _ = settings.pages
    assert str(caught.value) == message


def test_each_load_makes_its_own_session_key_and_keeps_it() -> None:
    first, second = load_settings({}), load_settings({})
    assert first.pages.secret == first.pages.secret != second.pages.secret


def test_the_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.batch_size = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        settings.files.keys_dir = Path("/elsewhere")  # type: ignore[misc]


def test_stand_in_logins_are_on_by_default_only_for_the_embedded_ledger() -> None:
    assert load_settings({}).pages.demo_login
    assert load_settings({"LEDGER_DATABASE_URL": "sqlite:///x.db"}).pages.demo_login
    postgres = {"LEDGER_DATABASE_URL": "postgresql://u@h:5432/db"}
    assert not load_settings(postgres).pages.demo_login  # a deployment: real sign-in only
    assert load_settings({**postgres, "LEDGER_PAGES_DEMO_LOGIN": "1"}).pages.demo_login
