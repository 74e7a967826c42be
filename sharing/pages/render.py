"""Templates (Jinja2, autoescaped) and the answer every page gets: its own strict content
security policy (styles, fonts and scripts only from this origin, no inline code) and the
session cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sharing.pages import session as sessions
from sharing.pages.words import (
    ACTION_WORDS,
    OUTCOME_WORDS,
    STATUS_WORDS,
    beijing,
    field_label,
    status_class,
)

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True),
                        undefined=StrictUndefined)
TEMPLATES.globals.update(status_words=STATUS_WORDS, action_words=ACTION_WORDS,
                         outcome_words=OUTCOME_WORDS, status_class=status_class,
                         field_label=field_label)
TEMPLATES.filters["beijing"] = beijing
PAGE_CSP = ("default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self';"
            " script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def page(request: Request, template: str, status_code: int = 200, *, cookie: bool = True,
         **context: Any) -> HTMLResponse:
    """Render ``template``; ``cookie=False`` for public pages, which set no cookie at all."""
    session = (getattr(request.state, "session", None) or sessions.current(request)
               if cookie else None)
    html = TEMPLATES.get_template(template).render(session=session, **context)
    response = HTMLResponse(html, status_code=status_code,
                            headers={"Content-Security-Policy": PAGE_CSP})
    if cookie:
        sessions.save(request, response)
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    """303 after a form (post, redirect, get), carrying the session cookie."""
    response = RedirectResponse(url, status_code=303)
    sessions.save(request, response)
    return response


def refused(request: Request, status_code: int, message: str) -> HTMLResponse:
    return page(request, "refused.html", status_code=status_code, message=message)
