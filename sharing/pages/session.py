"""Signed session cookies and CSRF tokens.

The session is a small JSON object in a cookie signed with HMAC-SHA256 under the pages'
secret: nothing is kept on the server, and a cookie that was altered, or is past its
expiry, is simply no session. Every session, even a visitor's before login, carries a
random CSRF token; every form repeats it in a hidden field and every POST must present
the same value (a synchronizer token held in a signed, HttpOnly, SameSite=Strict cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from commands.setting_sections import PageSettings

COOKIE = "ll_session"


@dataclass(frozen=True)
class Session:
    csrf: str
    role: str | None = None  # holder | issuer | management
    department: str | None = None  # the department acting (the platform, for holders)
    holder: str | None = None
    expires: int = 0
    sid: str = ""  # random; a logout ends it for good (sharing/pages/ended.py)

    def signed_in(self, role: str) -> bool:
        return self.role == role


def settings_of(request: Request) -> PageSettings:
    settings: PageSettings = request.app.state.pages
    return settings


def _mac(secret: bytes, body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def encode(session: Session, secret: bytes) -> str:
    body = base64.urlsafe_b64encode(orjson.dumps(session.__dict__)).decode()
    return f"{body}.{_mac(secret, body.encode())}"


def decode(value: str, secret: bytes, now: float) -> Session | None:
    body, _, mac = value.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, body.encode())):
        return None
    try:
        data: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(body.encode()))
        session = Session(**data)
    except (ValueError, TypeError):
        return None
    return session if session.expires > now else None


def current(request: Request) -> Session:
    """The request's session, or a fresh anonymous one (saved when the page is answered)."""
    settings = settings_of(request)
    found = decode(request.cookies.get(COOKIE, ""), settings.secret, time.time())
    if found is None:
        found = Session(csrf=secrets.token_urlsafe(24), sid=secrets.token_urlsafe(16),
                        expires=int(time.time()) + settings.session_seconds)
    request.state.session = found
    return found


def signed_in(request: Request, role: str, department: str, holder: str | None = None
              ) -> Session:
    """A new session for a login: a new CSRF token, so one fixed before login is useless."""
    settings = settings_of(request)
    session = Session(csrf=secrets.token_urlsafe(24), role=role, department=department,
                      holder=holder, expires=int(time.time()) + settings.session_seconds,
                      sid=secrets.token_urlsafe(16))
    request.state.session = session
    return session


def signed_out(request: Request) -> Session:
    session = replace(current(request), role=None, department=None, holder=None,
                      csrf=secrets.token_urlsafe(24), sid=secrets.token_urlsafe(16))
    request.state.session = session
    return session


def save(request: Request, response: Response) -> None:
    """Set the cookie of the session this request used or made."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        return
    settings = settings_of(request)
    response.set_cookie(COOKIE, encode(session, settings.secret),
                        max_age=max(0, session.expires - int(time.time())), path="/",
                        httponly=True, samesite="strict",
                        secure=settings.cookie_secure or request.url.scheme == "https")


def csrf_ok(session: Session, form_token: object) -> bool:
    return isinstance(form_token, str) and hmac.compare_digest(
        form_token.encode(), session.csrf.encode())
