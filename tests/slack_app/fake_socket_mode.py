"""A loopback stand-in for Slack's Socket Mode WebSocket endpoint (the URL `apps.connections.open` hands out).

Enough of RFC 6455 for slack-sdk's built-in client: the opening handshake, unfragmented text frames both ways
(the client's masked), ping → pong, close. On connecting it sends Slack's `hello`; `send_envelope(payload)`
delivers an interaction the way Slack does (`{"envelope_id", "type": "interactive", "payload", ...}`), and
`wait_ack(envelope_id)` returns the client's acknowledgement (`{"envelope_id", "payload"?}`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import uuid
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Condition()
        self._sending = threading.Lock()
        self._connection: socket.socket | None = None
        self._acks: dict[str, dict] = {}
        self._received: list[dict] = []
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake-ticket"

    def __enter__(self) -> FakeSocketMode:
        thread = threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._closed = True
            connection = self._connection
        self._listener.close()
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in self._threads:
            thread.join(timeout=5)

    # ------------------------------------------------------------ test side

    def wait_connected(self, timeout: float = 10.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._connection is not None, timeout=timeout)

    def send_envelope(self, payload: dict[str, Any], kind: str = "interactive") -> str:
        envelope_id = str(uuid.uuid4())
        message = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": False}
        self._send(TEXT, json.dumps(message).encode())
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict | None:
        with self._lock:
            self._lock.wait_for(lambda: envelope_id in self._acks, timeout=timeout)
            return self._acks.get(envelope_id)

    # ------------------------------------------------------------ server side

    def _accept(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return  # closed before anyone connected
        reader = connection.makefile("rb")
        request = b""
        while not request.endswith(b"\r\n\r\n"):
            line = reader.readline()
            if not line:
                connection.close()
                return
            request += line
        headers = dict(
            line.split(":", 1) for line in request.decode().split("\r\n")[1:] if ":" in line
        )  # first line: GET /link/?ticket=... HTTP/1.1
        key = next(v.strip() for k, v in headers.items() if k.strip().lower() == "sec-websocket-key")
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        connection.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        with self._lock:
            self._connection = connection
            self._lock.notify_all()
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AFAKEAPP"}}
        self._send(TEXT, json.dumps(hello).encode())
        self._read_frames(reader)

    def _read_frames(self, reader) -> None:
        while True:
            head = reader.read(2)
            if len(head) < 2:
                return
            opcode, masked, length = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", reader.read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", reader.read(8))[0]
            mask = reader.read(4) if masked else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.read(length)))
            if opcode == PING:
                self._send(PONG, data)
            elif opcode == CLOSE:
                self._send(CLOSE, data[:2])
                return
            elif opcode == TEXT:
                message = json.loads(data)
                with self._lock:
                    self._received.append(message)
                    if "envelope_id" in message:
                        self._acks[message["envelope_id"]] = message
                    self._lock.notify_all()

    def _send(self, opcode: int, data: bytes) -> None:
        """One unmasked, unfragmented frame (server to client)."""
        if len(data) <= 125:
            header = bytes([0x80 | opcode, len(data)])
        elif len(data) <= 0xFFFF:
            header = bytes([0x80 | opcode, 126]) + struct.pack("!H", len(data))
        else:
            header = bytes([0x80 | opcode, 127]) + struct.pack("!Q", len(data))
        with self._lock:
            connection = self._connection
        if connection is None:
            return
        try:
            with self._sending:
                connection.sendall(header + data)
        except OSError:
            pass  # the client went away: like Slack, nobody to tell
