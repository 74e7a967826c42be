"""Session cookies: what was signed comes back; anything altered, forged or expired is no
session; the pages' settings refuse bad values with what is expected."""

from __future__ import annotations

import pytest

from commands.setting_sections import PageSettingsError
from commands.settings import load_settings
from sharing.pages.session import Session, csrf_ok, decode, encode

SECRET = b"k" * 32


def test_a_signed_session_round_trips() -> None:
    session = Session(csrf="t", role="issuer", department="D1", expires=200)
    assert decode(encode(session, SECRET), SECRET, now=100) == session


@pytest.mark.parametrize("value", ["", ".", "abc", "abc.def", "e30=.e30="])
def test_malformed_cookies_are_no_session(value: str) -> None:
    assert decode(value, SECRET, now=0) is None


def test_altered_forged_and_expired_cookies_are_no_session() -> None:
    good = encode(Session(csrf="t", role="holder", holder="H", expires=200), SECRET)
    body, mac = good.split(".")
    forged_body = encode(Session(csrf="t", role="management", expires=200), SECRET)
    assert decode(f"{forged_body.split('.')[0]}.{mac}", SECRET, now=100) is None
    assert decode(f"{body}.{mac[:-2]}AA", SECRET, now=100) is None
    assert decode(good, b"x" * 32, now=100) is None  # signed under another key
    assert decode(good, SECRET, now=200) is None  # expired
    anonymous = encode(Session(csrf="t", expires=200), SECRET)
    assert decode(anonymous, SECRET, now=100) == Session(csrf="t", expires=200)


def test_csrf_tokens_compare_exactly() -> None:
    session = Session(csrf="token")
    assert csrf_ok(session, "token")
    for wrong in ("", "tokem", "token ", None, 1, ["token"]):
        assert not csrf_ok(session, wrong)


@pytest.mark.parametrize(("env", "message"), [
    ({"LEDGER_SESSION_SECRET": "short"}, "expected at least 32 characters"),
    ({"LEDGER_COOKIE_SECURE": "yes"}, "LEDGER_COOKIE_SECURE='yes': expected 0 or 1"),
    ({"LEDGER_PAGES_DEMO_LOGIN": "true"}, "LEDGER_PAGES_DEMO_LOGIN='true': expected 0 or 1"),
])
def test_bad_page_settings_say_what_is_expected(env: dict[str, str], message: str) -> None:
    settings = load_settings(env)  # loads: only what uses the pages stops on them
    with pytest.raises(PageSettingsError, match=message):
        _ = settings.pages


def test_page_settings_defaults() -> None:
    settings = load_settings({}).pages
    assert len(settings.secret) == 32 and settings.demo_login and not settings.cookie_secure
    assert load_settings({"LEDGER_SESSION_SECRET": "s" * 40}).pages.secret == b"s" * 40
