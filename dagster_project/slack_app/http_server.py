"""HTTP mode: Bolt's WSGI adapter under the standard library's WSGI server, one thread per request.

Slack posts every click to `<public URL>/slack/events`; Bolt checks `X-Slack-Signature` against the body and
`X-Slack-Request-Timestamp` with the signing secret, and answers 401 to anything unsigned, mis-signed or more
than 5 minutes old. Bodies over 1 MB are refused before that (Slack's payloads are a few kB). Serve it behind
an https reverse proxy: Slack only posts to https URLs.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from dagster_project.errors import ReconError
from dagster_project.slack_app.app import ReconSlackApp

log = logging.getLogger("recon.slack_app")

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's naming)
        log.debug("HTTP %s " + format, self.address_string(), *args)


def _limit_body(app: Callable, max_body: int) -> Callable:
    def limited(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= max_body:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"request body too large or of unknown length"]
        return app(environ, start_response)

    return limited


def make_http_server(app: ReconSlackApp, host: str = "127.0.0.1", port: int = 3000) -> WSGIServer:
    """The server, bound (port 0: a free one, see `server_port`) but not yet serving."""
    wsgi = _limit_body(SlackRequestHandler(app.bolt, path=EVENTS_PATH), MAX_BODY)
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    try:
        return make_server(host, port, wsgi, server_class=server_class, handler_class=_QuietHandler)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ReconError(f"cannot listen on {host} port {port} ({reason}): choose another --host or --port") from None


def serve_http(
    app: ReconSlackApp, host: str = "127.0.0.1", port: int = 3000, stop: threading.Event | None = None
) -> None:
    """Serve until `stop` is set or the calling thread is interrupted (Ctrl-C, SIGTERM). The server runs on a
    thread of its own, so an interruption lands here, in a plain wait, and shuts the server down cleanly."""
    server = make_http_server(app, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.5}, name="recon-slack-app-http", daemon=True
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    try:
        log.info(
            "Slack app: HTTP mode, listening on http://%s:%d%s (the Interactivity Request URL, behind https)",
            shown,
            server.server_port,
            EVENTS_PATH,
        )
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
