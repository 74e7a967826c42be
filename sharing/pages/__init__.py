"""The pages people open (docs/pages.md): the QR status page, the holder portal, the
issuer's and the management department's views, server-rendered from the same read
models and the same bus path as the API (issue #15).

Every write a page makes is a signed envelope handed to the same path as
``POST /api/v1/commands``; no page writes anything the API would not.
"""

from __future__ import annotations

from fastapi import FastAPI

from commands.setting_sections import PageSettings
from sharing.pages import holder, holder_download, issuer, login, manage, public, static
from sharing.pages.audit_cache import AuditCache


def install(app: FastAPI, settings: PageSettings) -> None:
    """Add the pages' routes and their settings (``settings.pages``) to the service."""
    app.state.pages = settings
    app.state.audit = AuditCache()
    for module in (public, static, login, holder, holder_download, issuer, manage):
        app.include_router(module.router)
