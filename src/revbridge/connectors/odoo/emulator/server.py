"""The HTTP server: routes Odoo's endpoints to the wires and applies injected failures.

Why the standard library's ThreadingHTTPServer: it is a real socket server (clients use
their real transports, timeouts and keep-alive), needs no dependency, and lets a handler
drop its connection mid-request, which is how "crash after commit" looks to a client.
"""

from __future__ import annotations

import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from revbridge.connectors.odoo.emulator.core import Emulator
from revbridge.connectors.odoo.emulator.failures import FailurePlan
from revbridge.connectors.odoo.emulator.wire import (
    Exchange,
    Response,
    json2,
    jsonrpc,
    text_response,
    xmlrpc,
)

logger = logging.getLogger("revbridge.connectors.odoo.emulator.http")

NOT_FOUND = (
    "<!doctype html><title>404 Not Found</title><h1>Not Found</h1><p>The requested "
    "URL was not found on the server.</p>"
)
XMLRPC_SERVICES = ("common", "object", "db")


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator, failures: FailurePlan):
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.failures = failures


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        """No Nagle: headers and body leave at once, not 40 ms apart."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _handle(self, http_method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path.rstrip("/") or "/"
        emulator = self.server.emulator
        if path == "/web/version" or path == "/web/webclient/version_info":
            self._send(jsonrpc.version(emulator, body if http_method == "POST" else None))
            return
        exchange = self._route(path, http_method, body)
        if exchange is None:
            self._send(text_response(404, NOT_FOUND))
            return
        self._serve(exchange)

    def _route(self, path: str, http_method: str, body: bytes) -> Exchange | None:
        emulator = self.server.emulator
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["xmlrpc"] and http_method == "POST":
            service = parts[-1]
            if service in XMLRPC_SERVICES and len(parts) in (2, 3):
                return xmlrpc.prepare(emulator, service, body)
        if path == "/jsonrpc" and http_method == "POST":
            return jsonrpc.prepare(emulator, body)
        if parts[:2] == ["json", "2"] and emulator.profile.json2:
            headers = {k.lower(): v for k, v in self.headers.items()}
            return json2.prepare(emulator, path, headers, body, http_method)
        return None

    def _serve(self, exchange: Exchange) -> None:
        failures = self.server.failures
        plan = failures.take(exchange.model, exchange.model_method)
        if plan.delay:
            failures.wait(plan.delay)
        if plan.outage is not None:
            status = plan.outage.status
            self._send(
                text_response(
                    status, f"<html><body><h1>{status} Service unavailable</h1></body></html>"
                )
            )
            return
        if plan.crash is not None and not plan.crash.commit:
            self._drop()
            return
        if plan.timeout is not None and not plan.timeout.commit:
            failures.wait(plan.timeout.seconds)
            self._drop()
            return
        response = exchange.run()
        if plan.crash is not None:
            self._drop()
            return
        if plan.timeout is not None:
            failures.wait(plan.timeout.seconds)
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop(self) -> None:
        """Close the socket without a byte of answer, like a process that died."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
