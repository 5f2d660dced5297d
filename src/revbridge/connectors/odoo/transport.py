"""How calls reach Odoo: XML-RPC and JSON-RPC (Odoo 16-18), JSON-2 (Odoo 19+).

Why one interface for three wires: the connector's modules say *what* to call, by name
(``call("account.move", "action_post", ids=[7])``); the transport decides how it travels.
JSON-2 takes named arguments only (``{"ids": [...], "vals_list": [...]}``) with a bearer
API key; XML-RPC/JSON-RPC take ``execute_kw(db, uid, key, model, method, args, kwargs)``
after ``authenticate``. A few methods need their first argument positionally over RPC
(``create`` answers ``result.id if isinstance(args[0], Mapping)``): ``POSITIONAL`` lists
them. The server's version is asked once per transport (``/web/version``, falling back
to ``common.version``) and picks the wire: JSON-2 from 19 on, XML-RPC before (XML-RPC
still works on 19 but logs a deprecation warning on every call, FACTS.md 16).

All wires run over one injected :class:`httpx.Client` (timeouts, keep-alive, a
``MockTransport`` in unit tests); XML-RPC bodies are built and parsed with
``xmlrpc.client.dumps``/``loads``. Every HTTP exchange passes the per-Odoo
:class:`~revbridge.connectors.odoo.limits.Limits` (circuit breaker, concurrency slot,
rate token) and is counted in ``calls``. Failures become
:mod:`~revbridge.connectors.odoo.errors` classes; nothing here retries: the sync
operations are idempotent and the outbox retries them whole.

The API key is held in a :class:`Secret` and never appears in a repr, a log line or an
error message.
"""

from __future__ import annotations

import logging
import re
import threading
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from revbridge.connectors.odoo.errors import (
    OdooAuthError,
    OdooError,
    OdooRequestError,
    OdooTransientError,
    OdooUnavailable,
    classify,
    exception_name,
    none_is_success,
)
from revbridge.connectors.odoo.limits import Limits, LimitsPolicy
from revbridge.connectors.odoo.wire import to_wire

__all__ = [
    "PROTOCOLS",
    "Json2Transport",
    "JsonRpcTransport",
    "OdooVersion",
    "Secret",
    "Transport",
    "XmlRpcTransport",
    "detect_version",
    "open_transport",
]

logger = logging.getLogger(__name__)

PROTOCOLS = ("auto", "xmlrpc", "jsonrpc", "json2")
# Named arguments that must travel positionally over XML-RPC/JSON-RPC, after the ids.
POSITIONAL: dict[str, tuple[str, ...]] = {"create": ("vals_list",), "write": ("vals",)}


class Secret:
    """A credential that prints as ``********``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class OdooVersion:
    server_version: str
    major: int
    minor: int

    @classmethod
    def parse(cls, answer: dict[str, Any]) -> OdooVersion:
        info = answer.get("server_version_info") or []
        text = str(answer.get("server_version") or "")
        if len(info) >= 2 and isinstance(info[0], int):
            major, minor = int(info[0]), int(info[1])
        else:
            numbers = re.findall(r"\d+", text.removeprefix("saas~"))
            if not numbers:
                raise OdooRequestError(f"unreadable Odoo version {text!r}")
            major, minor = int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0
        return cls(text, major, minor)

    @property
    def default_protocol(self) -> str:
        return "json2" if self.major >= 19 else "xmlrpc"


def _http_error(exc: httpx.HTTPError, what: str) -> OdooTransientError:
    kind = type(exc).__name__
    return OdooTransientError(f"Odoo unreachable ({kind}) during {what}")


def detect_version(http: httpx.Client, url: str) -> OdooVersion:
    """Ask the server's version: ``GET /web/version``, else XML-RPC ``common.version``."""
    base = url.rstrip("/")
    try:
        answer = http.get(f"{base}/web/version")
        if answer.status_code == 200:
            body = answer.json()
            if isinstance(body, dict) and "server_version" in body:
                return OdooVersion.parse(body)
        payload = xmlrpc.client.dumps((), "version").encode()
        answer = http.post(f"{base}/xmlrpc/2/common", content=payload, headers=_XML_HEADERS)
    except httpx.HTTPError as exc:
        raise _http_error(exc, "version detection") from exc
    if answer.status_code != 200:
        raise classify(
            message=f"version detection answered HTTP {answer.status_code}",
            http_status=answer.status_code,
            odoo_body=False,
        )
    try:
        ((result,), _name) = xmlrpc.client.loads(answer.content)
    except (xmlrpc.client.Fault, ValueError, TypeError) as exc:
        raise OdooRequestError(f"not an Odoo server at {base}: {exc}") from exc
    return OdooVersion.parse(result)


_XML_HEADERS = {"Content-Type": "text/xml"}


@dataclass
class Transport:
    """Base of the three wires: admission (limits), counting and error mapping.

    Subclasses implement :meth:`_exchange` for one call, raising ``OdooError``s.
    """

    http: httpx.Client
    url: str
    db: str
    login: str
    api_key: Secret
    version: OdooVersion
    limits: Limits = field(default_factory=Limits)
    calls: int = 0
    protocol: str = "?"
    _count_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")

    def call(
        self,
        model: str,
        method: str,
        ids: list[int] | None = None,
        *,
        context: dict[str, Any] | None = None,
        **named: Any,
    ) -> Any:
        """Call ``model.method`` on ``ids`` (a record method) or on the model (``ids``
        None) with named arguments; the result as Odoo answered it."""
        with self.limits.slot():
            with self._count_lock:
                self.calls += 1
            try:
                result = self._exchange(model, method, ids, context, to_wire(named))
            except OdooTransientError as exc:
                exc.model, exc.method = model, method
                if isinstance(exc, OdooUnavailable):
                    self.limits.breaker.record_neutral()
                    raise
                opened_for = self.limits.breaker.record_failure()
                if opened_for is None:
                    raise
                # this failure opened the circuit: Odoo is down, so the caller waits for it
                raise OdooUnavailable(f"Odoo is down ({exc}); circuit open for {opened_for:.0f}s",
                                      retry_after=opened_for) from exc
            except OdooError as exc:
                self.limits.breaker.record_success()
                exc.model, exc.method = model, method
                raise
            except BaseException:
                self.limits.breaker.record_neutral()
                raise
            self.limits.breaker.record_success()
            return result

    def _exchange(
        self,
        model: str,
        method: str,
        ids: list[int] | None,
        context: dict[str, Any] | None,
        named: dict[str, Any],
    ) -> Any:
        raise NotImplementedError

    def _post(self, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.post(f"{self.url}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise _http_error(exc, what) from exc

    @staticmethod
    def _status_error(answer: httpx.Response, what: str) -> OdooError:
        retry_after = _retry_after(answer)
        return classify(
            message=f"{what}: HTTP {answer.status_code}",
            http_status=answer.status_code,
            retry_after=retry_after,
            odoo_body=False,
        )


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass
class _RpcTransport(Transport):
    """XML-RPC and JSON-RPC share ``authenticate`` and the ``execute_kw`` argument list."""

    _uid: int | None = None
    _uid_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def uid(self) -> int:
        """Authenticate once; a refused key is an ``OdooAuthError`` (it answers False,
        not a fault, FACTS.md 8)."""
        with self._uid_lock:
            if self._uid is None:
                uid = self._service("common", "authenticate",
                                    [self.db, self.login, self.api_key.reveal(), {}])
                if not uid:
                    raise OdooAuthError(
                        f"Odoo refused the login {self.login!r} on database {self.db!r}"
                    )
                self._uid = int(uid)
            return self._uid

    def _exchange(
        self,
        model: str,
        method: str,
        ids: list[int] | None,
        context: dict[str, Any] | None,
        named: dict[str, Any],
    ) -> Any:
        args: list[Any] = [] if ids is None else [list(ids)]
        for name in POSITIONAL.get(method, ()):
            if name in named:
                args.append(named.pop(name))
        if context:
            named["context"] = to_wire(context)
        params = [self.db, self.uid(), self.api_key.reveal(), model, method, args, named]
        return self._service("object", "execute_kw", params, (model, method))

    def _service(
        self, service: str, method: str, params: list[Any], target: tuple[str, str] | None = None
    ) -> Any:
        """Send one service call; ``target`` is (model, method) for object calls."""
        raise NotImplementedError


@dataclass
class XmlRpcTransport(_RpcTransport):
    protocol: str = "xmlrpc"

    def _service(
        self, service: str, method: str, params: list[Any], target: tuple[str, str] | None = None
    ) -> Any:
        what = ".".join(target) if target else f"{service}.{method}"
        payload = xmlrpc.client.dumps(tuple(params), method, allow_none=True).encode()
        answer = self._post(f"/xmlrpc/2/{service}", what, content=payload, headers=_XML_HEADERS)
        if answer.status_code != 200:
            raise self._status_error(answer, what)
        try:
            ((result,), _name) = xmlrpc.client.loads(answer.content, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            text = str(fault.faultString)
            if fault.faultCode == 1 and none_is_success(target[1] if target else method, text):
                return None
            raise classify(
                message=text,
                name=exception_name(text) if fault.faultCode == 1 else None,
                fault_code=int(fault.faultCode) if isinstance(fault.faultCode, int) else None,
            ) from None
        except Exception as exc:
            raise OdooRequestError(f"{what}: unreadable XML-RPC answer ({exc})") from exc
        return result


@dataclass
class JsonRpcTransport(_RpcTransport):
    protocol: str = "jsonrpc"
    _next_id: int = 0

    def _service(
        self, service: str, method: str, params: list[Any], target: tuple[str, str] | None = None
    ) -> Any:
        what = ".".join(target) if target else f"{service}.{method}"
        self._next_id += 1
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": self._next_id,
            "params": {"service": service, "method": method, "args": params},
        }
        answer = self._post("/jsonrpc", what, json=body)
        if answer.status_code != 200:
            raise self._status_error(answer, what)
        try:
            reply = answer.json()
        except ValueError as exc:
            raise OdooRequestError(f"{what}: unreadable JSON-RPC answer") from exc
        if "error" in reply:
            error = reply["error"] or {}
            data = error.get("data") or {}
            raise classify(
                message=str(data.get("message") or error.get("message") or "Odoo Server Error"),
                name=data.get("name"),
            )
        return reply.get("result")


@dataclass
class Json2Transport(Transport):
    """``POST /json/2/<model>/<method>`` with ``Authorization: bearer <key>``."""

    protocol: str = "json2"

    def _exchange(
        self,
        model: str,
        method: str,
        ids: list[int] | None,
        context: dict[str, Any] | None,
        named: dict[str, Any],
    ) -> Any:
        what = f"{model}.{method}"
        body = dict(named)
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = to_wire(context)
        headers = {
            "Authorization": f"bearer {self.api_key.reveal()}",
            "X-Odoo-Database": self.db,
        }
        answer = self._post(f"/json/2/{model}/{method}", what, json=body, headers=headers)
        try:
            reply = answer.json()
        except ValueError:
            reply = None
        if answer.status_code == 200:
            if reply is None and answer.content.strip() not in (b"null", b""):
                raise OdooRequestError(f"{what}: unreadable JSON-2 answer")
            return reply
        if isinstance(reply, dict) and "name" in reply:
            raise classify(
                message=str(reply.get("message") or ""),
                name=str(reply["name"]),
                http_status=answer.status_code,
                retry_after=_retry_after(answer),
            )
        raise self._status_error(answer, what)


TRANSPORTS: dict[str, type[Transport]] = {
    "xmlrpc": XmlRpcTransport,
    "jsonrpc": JsonRpcTransport,
    "json2": Json2Transport,
}


def open_transport(
    url: str,
    db: str,
    login: str,
    api_key: Secret | str,
    *,
    protocol: str = "auto",
    http: httpx.Client | None = None,
    limits: Limits | None = None,
    timeout: float = 30.0,
    version: OdooVersion | None = None,
) -> Transport:
    """A transport for the Odoo at ``url``: version detected once, wire chosen by it
    (``protocol="auto"``) or forced (``"xmlrpc"``, ``"jsonrpc"``, ``"json2"``)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown Odoo protocol {protocol!r}; choose one of {PROTOCOLS}")
    secret = api_key if isinstance(api_key, Secret) else Secret(api_key)
    client = http or httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_keepalive_connections=8, max_connections=16),
    )
    limits = limits or Limits(LimitsPolicy())
    if version is None:
        limits.breaker.before_call()
        try:
            version = detect_version(client, url)
        except OdooTransientError:
            limits.breaker.record_failure()
            raise
        limits.breaker.record_success()
    chosen = version.default_protocol if protocol == "auto" else protocol
    if chosen == "json2" and version.major < 19:
        raise OdooRequestError(f"JSON-2 needs Odoo 19 or later; the server is {version.server_version}")
    cls: Callable[..., Transport] = TRANSPORTS[chosen]
    return cls(
        http=client, url=url, db=db, login=login, api_key=secret, version=version, limits=limits
    )
