"""``Idempotency-Key`` on every POST: a retried request gets the first answer, once.

An ASGI middleware, so it sees the exact bytes of the request and of the answer. The
first request with a key records it as in progress; on success (any status below 500)
the answer is stored and replayed for the same key and the same request. The same key
with a different request is refused with 409, as is a key whose first request is still
running. A 5xx is not stored, so the client's retry runs again. Keys are scoped to the
workspace of the API key and expire after ``idempotency_ttl_hours``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revbridge.api.problems import PROBLEM
from revbridge.jsonenc import dumps
from revbridge.scope import utcnow
from revbridge.store.tables import api_keys, idempotency_keys
from revbridge.workspaces import hash_secret

MAX_KEY = 255


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine, ttl_hours: int = 24) -> None:
        self.app = app
        self.engine = engine
        self.ttl = timedelta(hours=ttl_hours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replaying(body)
        if not key or len(key) > MAX_KEY:
            await _problem(send, 422, "Idempotency-Key: 1 to 255 characters")
            return
        workspace_id = self._workspace(headers)
        if workspace_id is None:  # unauthenticated: let the route refuse it
            await self.app(scope, replay, send)
            return
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"?" + scope.get("query_string", b"") + b"\n" + body
        ).hexdigest()
        stored = self._claim(workspace_id, key, digest)
        if stored == "claimed":
            await self._run_and_store(scope, replay, send, workspace_id, key)
        elif stored == "mismatch":
            await _problem(send, 409, "Idempotency-Key was already used with a different request")
        elif stored == "running":
            await _problem(send, 409, "a request with this Idempotency-Key is still in progress")
        else:
            status, content_type, payload = stored
            await _send(send, status, content_type, payload, replayed=True)

    def _workspace(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        secret = token.strip() if scheme.lower() == "bearer" else headers.get("x-api-key")
        if not secret:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.workspace_id, api_keys.c.revoked_at).where(api_keys.c.secret_hash == hash_secret(secret))
            ).first()
        return row.workspace_id if row is not None and row.revoked_at is None else None

    def _claim(self, workspace_id: str, key: str, digest: str) -> Any:
        now = utcnow()
        where = (idempotency_keys.c.workspace_id == workspace_id) & (idempotency_keys.c.key == key)
        with self.engine.begin() as conn:
            row = conn.execute(select(idempotency_keys).where(where)).first()
            if row is not None and row.created_at < now - self.ttl:
                conn.execute(delete(idempotency_keys).where(where))
                row = None
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            idempotency_keys.insert().values(
                                workspace_id=workspace_id, key=key, request_hash=digest, created_at=now
                            )
                        )
                except IntegrityError:
                    return "running"
                return "claimed"
        if row.request_hash != digest:
            return "mismatch"
        if row.status_code is None:
            return "running"
        return row.status_code, row.content_type, row.response_body.encode()

    async def _run_and_store(self, scope: Scope, receive: Receive, send: Send, workspace_id: str, key: str) -> None:
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        where = (idempotency_keys.c.workspace_id == workspace_id) & (idempotency_keys.c.key == key)
        try:
            await self.app(scope, receive, capture)
        finally:
            with self.engine.begin() as conn:
                if captured["status"] >= 500:
                    conn.execute(delete(idempotency_keys).where(where))
                else:
                    content_type = dict(captured["headers"]).get(b"content-type", b"application/json").decode()
                    conn.execute(
                        update(idempotency_keys)
                        .where(where)
                        .values(
                            status_code=captured["status"],
                            content_type=content_type,
                            response_body=captured["body"].decode("utf-8", "replace"),
                        )
                    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send(send: Send, status: int, content_type: str, body: bytes, replayed: bool = False) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, status: int, detail: str) -> None:
    title = "Conflict" if status == 409 else "Invalid input"
    body = dumps({"type": "https://revbridge.dev/problems/idempotency", "title": title, "status": status, "detail": detail,
                  "errors": [{"field": "Idempotency-Key", "reason": detail}]})
    await _send(send, status, PROBLEM, body)
