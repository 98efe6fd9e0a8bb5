"""A loopback fake of the Slack Web API subset recon uses, with fault injection.

Speaks `auth.test`, `chat.postMessage`, `chat.update`, `conversations.list`, `conversations.info`,
`conversations.history` and `conversations.replies` at `http://127.0.0.1:<port>/api/<method>`,
taking form, JSON or query parameters like Slack does. Every call must carry
`Authorization: Bearer <token>`. Accepted messages are recorded (channel id, text, blocks,
thread_ts, ts, metadata) with increasing ts values. Like Slack it refuses more than 50 blocks
(`invalid_blocks`), a text over 40,000 characters (`msg_too_long`), over-long header, section and
button texts (`invalid_blocks`), and `chat.update` by channel name (`channel_not_found`).

For the Slack app (slack-bolt) it also speaks `views.open` (recorded in `views`; a trigger id opens one
view, then `exchanged_trigger_id`; a modal title over 24 characters or `private_metadata` over 3,000 is
`invalid_arguments`), `chat.postEphemeral` (recorded in `ephemerals`; `user_not_found` without a user) and,
with the app-level token `app_token` instead of the bot token, `apps.connections.open`, answering
`socket_mode_url` (set it to a WebSocket server of the test's; `internal_error` while unset) or
`not_allowed_token_type` for a bot token.

Faults, consumed in the order they were queued, one per API call:
- `rate_limit_next(n, retry_after=1)`: HTTP 429, `Retry-After`, `{"ok": false, "error": "ratelimited"}`;
- `fail_next(n, status=500)`: a 5xx (500 answers JSON, others an HTML page, as a proxy would);
- `delay_next(n, seconds)`: the call is carried out, then the answer is held back (a client
  timeout after Slack did the work: the case that must not end in a double post).
And standing faults: `set_auth_error("invalid_auth")`, `channel_error(channel, "channel_not_found")`,
`method_error(method, "missing_scope", needed="channels:history")`.

Binds to a loopback address only; body sizes, delays and pages are bounded; `stop()` (or leaving
the `with` block) wakes any held-back answer and shuts the server down.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 2_000_000
MAX_DELAY = 10.0
MAX_FAULTS = 1_000
BASE_EPOCH = 1_760_000_000
DEFAULT_CHANNELS = {
    "C0LOGISTIC": "logistics-ops",
    "C0FINANCE1": "finance-ops",
    "C0CXOPS001": "cx-ops",
    "C0INTEGRAT": "integrations",
    "C0ESCALATE": "ops-escalations",
}


@dataclass
class FakeMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    metadata: dict | None = None
    edits: int = 0

    def as_api(self, with_metadata: bool) -> dict:
        message = {"type": "message", "user": "UFAKEBOT", "bot_id": "BFAKEBOT", "ts": self.ts, "text": self.text}
        if self.blocks:
            message["blocks"] = self.blocks
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.edits:
            message["edited"] = {"user": "UFAKEBOT", "ts": self.ts}
        if with_metadata and self.metadata:
            message["metadata"] = self.metadata
        return message


@dataclass
class FakeView:
    id: str
    trigger_id: str
    view: dict


@dataclass
class FakeEphemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict]
    message_ts: str


@dataclass
class FakeCall:
    method: str
    status: int
    error: str | None
    params: dict = field(default_factory=dict)


@dataclass
class _Fault:
    kind: str  # "status" or "delay"
    status: int = 200
    retry_after: int = 1
    seconds: float = 0.0
    methods: frozenset[str] | None = None


class FakeSlack:
    """The fake server; use as a context manager (or `start()` / `stop()`)."""

    def __init__(
        self,
        token: str = "xoxb-fake-token",
        channels: Mapping[str, str] | None = None,
        host="127.0.0.1",
        app_token: str = "xapp-1-fake-app-token",
    ):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the Slack fake only listens on loopback, not {host}")
        self.token = token
        self.host = host
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._channels = dict(DEFAULT_CHANNELS if channels is None else channels)
        self._channel_errors: dict[str, str] = {}
        self._auth_error: str | None = None
        self._method_errors: dict[str, dict] = {}
        self._faults: deque[_Fault] = deque()
        self._messages: list[FakeMessage] = []
        self._calls: list[FakeCall] = []
        self._seq = 0
        self.app_token = app_token
        self.socket_mode_url: str | None = None
        self._views: list[FakeView] = []
        self._ephemerals: list[FakeEphemeral] = []
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://{self.host}:{self._server.server_address[1]}/api/"

    # ------------------------------------------------------------ faults

    def rate_limit_next(self, n: int, retry_after: int = 1, methods: Iterable[str] | None = None) -> None:
        self._queue(n, _Fault("status", 429, retry_after=retry_after, methods=_methods(methods)))

    def fail_next(self, n: int, status: int = 500, methods: Iterable[str] | None = None) -> None:
        if not 500 <= status <= 599:
            raise ValueError("fail_next injects 5xx answers")
        self._queue(n, _Fault("status", status, methods=_methods(methods)))

    def delay_next(self, n: int, seconds: float, methods: Iterable[str] | None = None) -> None:
        self._queue(n, _Fault("delay", seconds=min(float(seconds), MAX_DELAY), methods=_methods(methods)))

    def set_auth_error(self, code: str | None = "invalid_auth") -> None:
        with self._lock:
            self._auth_error = code

    def channel_error(self, channel: str, code: str | None = "channel_not_found") -> None:
        """Answer `code` for every call about `channel` (name or id); None clears it."""
        with self._lock:
            if code is None:
                self._channel_errors.pop(channel.lstrip("#"), None)
            else:
                self._channel_errors[channel.lstrip("#")] = code

    def method_error(self, method: str, code: str | None, **extra: Any) -> None:
        """Answer `{"ok": false, "error": code, **extra}` for every call of `method`; None clears it."""
        with self._lock:
            if code is None:
                self._method_errors.pop(method, None)
            else:
                self._method_errors[method] = {"ok": False, "error": code, **extra}

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._auth_error = None
            self._channel_errors.clear()
            self._method_errors.clear()

    def _queue(self, n: int, fault: _Fault) -> None:
        with self._lock:
            if len(self._faults) + n > MAX_FAULTS:
                raise ValueError(f"at most {MAX_FAULTS} queued faults")
            self._faults.extend(fault for _ in range(n))

    # ------------------------------------------------------------ what it saw

    @property
    def messages(self) -> list[FakeMessage]:
        """Every accepted message (parents and replies), oldest first, as last edited."""
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[FakeCall]:
        with self._lock:
            return list(self._calls)

    @property
    def views(self) -> list[FakeView]:
        """Every view opened with `views.open`, oldest first."""
        with self._lock:
            return list(self._views)

    @property
    def ephemerals(self) -> list[FakeEphemeral]:
        """Every accepted `chat.postEphemeral`, oldest first."""
        with self._lock:
            return list(self._ephemerals)

    def calls_to(self, method: str) -> list[FakeCall]:
        return [call for call in self.calls if call.method == method]

    def replies(self, thread_ts: str) -> list[FakeMessage]:
        return [m for m in self.messages if m.thread_ts == thread_ts and m.ts != thread_ts]

    def channel_id(self, name: str) -> str:
        return next(cid for cid, cname in self._channels.items() if cname == name.lstrip("#"))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no call is being handled (a held-back answer counts as being handled)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    # ------------------------------------------------------------ request handling

    def _handle(self, request: _Handler) -> None:
        with self._lock:
            self._in_flight += 1
        try:
            status, headers, body, delay = self._answer(request)
            if delay:
                self._stopping.wait(delay)
            try:
                request.send_response(status)
                for name, value in headers.items():
                    request.send_header(name, value)
                request.send_header("Content-Length", str(len(body)))
                request.end_headers()
                request.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: like Slack, the work is done anyway
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _answer(self, request: _Handler) -> tuple[int, dict[str, str], bytes, float]:
        path = urlsplit(request.path)
        method = path.path.removeprefix("/api/")
        params = self._params(request, path.query)
        with self._lock:
            fault = self._next_fault(method)
            if fault is not None and fault.kind == "status":
                return self._fault_answer(method, fault, params)
            status, data = self._dispatch(method, params, request.headers.get("Authorization", ""))
            self._calls.append(FakeCall(method, status, None if data.get("ok") else data.get("error"), params))
        delay = fault.seconds if fault is not None else 0.0
        return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data).encode(), delay

    def _next_fault(self, method: str) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.methods is None or method in fault.methods:
                del self._faults[index]
                return fault
        return None

    def _fault_answer(self, method: str, fault: _Fault, params: dict) -> tuple[int, dict[str, str], bytes, float]:
        if fault.status == 429:
            self._calls.append(FakeCall(method, 429, "ratelimited", params))
            headers = {"Content-Type": "application/json; charset=utf-8", "Retry-After": str(fault.retry_after)}
            return 429, headers, json.dumps({"ok": False, "error": "ratelimited"}).encode(), 0.0
        self._calls.append(FakeCall(method, fault.status, f"http_{fault.status}", params))
        if fault.status == 500:
            body = json.dumps({"ok": False, "error": "fatal_error"}).encode()
            return 500, {"Content-Type": "application/json; charset=utf-8"}, body, 0.0
        page = f"<html><body><h1>{fault.status} upstream unavailable</h1></body></html>".encode()
        return fault.status, {"Content-Type": "text/html; charset=utf-8"}, page, 0.0

    @staticmethod
    def _params(request: _Handler, query: str) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
        length = min(int(request.headers.get("Content-Length") or 0), MAX_BODY)
        raw = request.rfile.read(length) if length else b""
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if raw and content_type == "application/json":
            params.update(json.loads(raw))
        elif raw:
            params.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
        for key in ("blocks", "metadata", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _dispatch(self, method: str, params: dict, authorization: str) -> tuple[int, dict]:
        handlers = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "views.open": self._views_open,
            "chat.postEphemeral": self._post_ephemeral,
        }
        if method == "apps.connections.open":
            return 200, self._connections_open(authorization)
        if method not in handlers:
            return 404, {"ok": False, "error": "unknown_method"}
        if not authorization.startswith("Bearer "):
            return 200, {"ok": False, "error": "not_authed"}
        if not hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), self.token.encode()):
            return 200, {"ok": False, "error": "invalid_auth"}
        if self._auth_error:
            return 200, {"ok": False, "error": self._auth_error}
        if method in self._method_errors:
            return 200, dict(self._method_errors[method])
        return 200, handlers[method](params)

    # ------------------------------------------------------------ the API

    def _auth_test(self, params: dict) -> dict:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "team_id": "TFAKE",
            "user": "recon",
            "user_id": "UFAKEBOT",
            "bot_id": "BFAKEBOT",
        }

    def _resolve(self, channel: Any, by_name: bool = True) -> tuple[str | None, str | None]:
        """(channel id, error) for an id, or a name when `by_name`."""
        given = str(channel or "").lstrip("#")
        if not given:
            return None, "channel_not_found"
        if given in self._channel_errors:
            return None, self._channel_errors[given]
        if given in self._channels:
            channel_id = given
        elif by_name and given in self._channels.values():
            channel_id = next(cid for cid, name in self._channels.items() if name == given)
        else:
            return None, "channel_not_found"
        if self._channels[channel_id] in self._channel_errors:
            return None, self._channel_errors[self._channels[channel_id]]
        return channel_id, None

    def _post_message(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"))
        if error:
            return {"ok": False, "error": error}
        problem = _message_problem(params)
        if problem:
            return problem
        thread_ts = params.get("thread_ts") or None
        if thread_ts and not any(m.ts == thread_ts and m.channel == channel_id for m in self._messages):
            return {"ok": False, "error": "thread_not_found"}
        self._seq += 1
        message = FakeMessage(
            channel=channel_id,  # type: ignore[arg-type]
            ts=f"{BASE_EPOCH + self._seq}.{self._seq:06d}",
            text=params.get("text") or "",
            blocks=params.get("blocks") or [],
            thread_ts=thread_ts,
            metadata=params.get("metadata"),
        )
        self._messages.append(message)
        return {"ok": True, "channel": channel_id, "ts": message.ts, "message": message.as_api(False)}

    def _update(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"), by_name=False)
        if error:
            return {"ok": False, "error": error}
        problem = _message_problem(params)
        if problem:
            return problem
        message = next((m for m in self._messages if m.channel == channel_id and m.ts == params.get("ts")), None)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = params.get("text") or ""
        message.blocks = params.get("blocks") or []
        message.edits += 1
        return {"ok": True, "channel": channel_id, "ts": message.ts, "text": message.text}

    def _views_open(self, params: dict) -> dict:
        trigger_id, view = params.get("trigger_id"), params.get("view")
        if not trigger_id or not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            return {"ok": False, "error": "invalid_arguments"}
        if any(v.trigger_id == trigger_id for v in self._views):
            return {"ok": False, "error": "exchanged_trigger_id"}
        problems = []
        if len(((view.get("title") or {}).get("text")) or "") > 24:
            problems.append("must be less than 25 characters [json-pointer:/view/title/text]")
        if len(view.get("private_metadata") or "") > 3000:
            problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
        if problems:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        self._seq += 1
        opened = FakeView(id=f"VFAKE{self._seq:06d}", trigger_id=str(trigger_id), view=view)
        self._views.append(opened)
        return {"ok": True, "view": {**view, "id": opened.id, "team_id": "TFAKE", "state": {"values": {}}}}

    def _post_ephemeral(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"))
        if error:
            return {"ok": False, "error": error}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        problem = _message_problem(params)
        if problem:
            return problem
        self._seq += 1
        ts = f"{BASE_EPOCH + self._seq}.{self._seq:06d}"
        text, blocks = params.get("text") or "", params.get("blocks") or []
        self._ephemerals.append(FakeEphemeral(str(channel_id), str(params["user"]), text, blocks, ts))
        return {"ok": True, "message_ts": ts}

    def _connections_open(self, authorization: str) -> dict:
        """Socket Mode: the app-level token gets `socket_mode_url`; the bot token is the wrong type."""
        given = authorization.removeprefix("Bearer ").encode()
        if not authorization.startswith("Bearer "):
            return {"ok": False, "error": "not_authed"}
        if hmac.compare_digest(given, self.token.encode()):
            return {"ok": False, "error": "not_allowed_token_type"}
        if not hmac.compare_digest(given, self.app_token.encode()):
            return {"ok": False, "error": "invalid_auth"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_mode_url}

    def _conversations_list(self, params: dict) -> dict:
        ids = sorted(self._channels)
        start, limit = int(params.get("cursor") or 0), max(1, min(int(params.get("limit") or 100), 1000))
        page = ids[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(ids) else ""
        channels = [_channel_info(cid, self._channels[cid]) for cid in page]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"), by_name=False)
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "channel": _channel_info(channel_id, self._channels[channel_id])}  # type: ignore[index]

    def _history(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"), by_name=False)
        if error:
            return {"ok": False, "error": error}
        top = [m for m in reversed(self._messages) if m.channel == channel_id and m.thread_ts in (None, m.ts)]
        return self._page(top, params)

    def _replies(self, params: dict) -> dict:
        channel_id, error = self._resolve(params.get("channel"), by_name=False)
        if error:
            return {"ok": False, "error": error}
        ts = params.get("ts")
        parent = [m for m in self._messages if m.channel == channel_id and m.ts == ts]
        if not parent:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(parent + [m for m in self._messages if m.thread_ts == ts and m.ts != ts], params)

    @staticmethod
    def _page(messages: list[FakeMessage], params: dict) -> dict:
        start, limit = int(params.get("cursor") or 0), max(1, min(int(params.get("limit") or 100), 1000))
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        page = [m.as_api(with_metadata) for m in messages[start : start + limit]]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.0"
    server_version = "FakeSlack/1"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.fake._handle(self)

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the calls are recorded instead


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(methods)


def _channel_info(channel_id: str, name: str) -> dict:
    return {
        "id": channel_id,
        "name": name,
        "is_channel": True,
        "is_private": False,
        "is_archived": False,
        "is_member": True,
    }


def _message_problem(params: dict) -> dict | None:
    """Slack's own checks on a message: text length, block count and the block text limits recon uses."""
    text, blocks = params.get("text") or "", params.get("blocks") or []
    if not text and not blocks:
        return {"ok": False, "error": "no_text"}
    if len(text) > 40_000:
        return {"ok": False, "error": "msg_too_long"}
    if not isinstance(blocks, list) or len(blocks) > 50:
        return {
            "ok": False,
            "error": "invalid_blocks",
            "errors": ["no more than 50 items allowed [json-pointer:/blocks]"],
        }
    for index, block in enumerate(blocks):
        limit = {"header": 150, "section": 3000}.get(block.get("type"), 3000)
        texts = [(block.get("text") or {}).get("text", "")]
        texts += [f.get("text", "") for f in block.get("fields") or []]
        if any(len(t) > limit for t in texts) or any(len(f.get("text", "")) > 2000 for f in block.get("fields") or []):
            return {
                "ok": False,
                "error": "invalid_blocks",
                "errors": [f"must be less than {limit} characters [json-pointer:/blocks/{index}/text/text]"],
            }
        for element in block.get("elements") or []:
            if element.get("type") == "button" and len(element["text"]["text"]) > 75:
                return {"ok": False, "error": "invalid_blocks", "errors": [f"button text too long [/blocks/{index}]"]}
    return None
