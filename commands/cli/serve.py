"""``ledger serve``: the sharing service (docs/service.md) on uvicorn.

Services come from the one composition root, built in the service's writer thread;
uvicorn stops taking connections on SIGINT/SIGTERM, lets open requests finish (up to
the graceful time-out), then the writer commits what it holds and closes the ledger.
"""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from commands.cli.output import fail
from commands.settings import load_settings

GRACEFUL_SECONDS = 10
KEEP_ALIVE_SECONDS = 5  # an idle connection (a slow or gone client) is closed after this


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the sharing service (HTTP API and QR status pages)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default"
                   " 127.0.0.1; TLS ends at a reverse proxy in front)")
    p.add_argument("--port", type=_port, default=8080, help="port (default 8080)")
    p.add_argument("--writer", choices=("process", "thread"), default=None,
                   help="where the ledger is written: a process of its own, so that HTTP and"
                   " signature checks use another core (default), or a thread of the"
                   " service's process (the default with Kafka, where commands go to the"
                   " topic, and for an in-memory database)")
    p.set_defaults(func=serve)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sharing.app import create_app, open_ledger
    from sharing.writer import WriterLostError, WriterStoppedError, serving_services
    from sharing.writers import writer_for

    settings = load_settings()
    kafka = None
    if settings.kafka_bootstrap_servers and settings.is_postgres:
        from consumers.config import kafka_options

        kafka = kafka_options(settings)  # commands go through the topic, as `ledger post`
    writer = writer_for(settings, settings.service, kafka=kafka is not None, asked=args.writer)
    app = create_app(serving_services(settings), settings.service, kafka, settings.pages,
                     writer=writer)
    try:
        open_ledger(app)
    except (WriterLostError, WriterStoppedError) as exc:  # its process died while opening
        writer.stop()
        return fail(f"the ledger's writer process could not start: {exc}")
    logging.getLogger("sharing.access").setLevel(logging.INFO)
    # One access line per request: skip what no line of ours prints (the caller's file and
    # line, thread and process names), which cost the service ~10 µs a request (the
    # logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    _say_where_it_listens()
    # uvicorn stops gracefully on SIGTERM, then raises the signal again for the handler
    # that was there before; the stop is complete by then, so that handler exits with 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None,
                    proxy_headers=True, server_header=False, date_header=True,
                    timeout_keep_alive=KEEP_ALIVE_SECONDS,
                    timeout_graceful_shutdown=GRACEFUL_SECONDS, limit_concurrency=1000)
    except SystemExit as exc:  # uvicorn could not start (it logged why, e.g. port in use)
        app.state.writer.stop()
        if not exc.code:
            return 0
        return fail(f"the service could not start on {args.host}:{args.port} (the reason is"
                    " above); if another process holds the port, stop it or give --port P")
    app.state.writer.stop()  # normally done at shutdown already; then this does nothing
    return 0


def _say_where_it_listens() -> None:
    """Let uvicorn's one line "Uvicorn running on http://…" through once it listens (so a
    user sees where, and that Ctrl-C stops it); its other start-up lines only with
    --verbose."""
    log = logging.getLogger("uvicorn.error")
    if log.getEffectiveLevel() <= logging.INFO:  # --verbose: everything anyway
        return
    log.setLevel(logging.INFO)
    log.addFilter(lambda record: record.levelno >= logging.WARNING
                  or record.getMessage().startswith("Uvicorn running on"))
