"""The emulated server behind every endpoint: services, authentication, transactions.

Why one class for all wires: XML-RPC, JSON-RPC and JSON-2 reach the same state and the
same rules; they differ only in how arguments arrive and errors leave (``faults``). Every
call runs under one lock, in one transaction: an exception rolls back everything the call
did. What the recordings show Odoo commits although the client sees a fault (a None
return over XML-RPC, FACTS.md 9) is committed here too, because marshalling happens after
the commit, at the wire.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.addons import all_models
from revbridge.connectors.odoo.emulator.auth import Credentials
from revbridge.connectors.odoo.emulator.clock import Clock
from revbridge.connectors.odoo.emulator.money import to_wire
from revbridge.connectors.odoo.emulator.profiles import Profile, profile_for
from revbridge.connectors.odoo.emulator.registry.environment import Env
from revbridge.connectors.odoo.emulator.registry.models import BaseModel, is_api_model
from revbridge.connectors.odoo.emulator.registry.store import Store
from revbridge.connectors.odoo.emulator.seed import EUR_RATE, seed

ADMIN_UID = 2
SYSTEM_UID = 1


@dataclass
class CallRecord:
    """One call as the server saw it, for tests that assert on traffic."""

    transport: str
    service: str
    method: str
    model: str | None = None
    model_method: str | None = None
    ok: bool = True
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Emulator:
    """An Odoo database in memory, answering the external API of one release."""

    def __init__(
        self,
        *,
        version: str = "17.0",
        db: str = "odoo_test",
        admin_password: str = "admin",
        clock: Clock | None = None,
        eur_rate: Decimal | None = EUR_RATE,
    ) -> None:
        self.profile: Profile = profile_for(version)
        self.db = db
        self.clock = clock or Clock()
        self.store = Store()
        self.models = all_models()
        self.credentials = Credentials()
        self.credentials.set_password(ADMIN_UID, admin_password)
        self.lock = threading.RLock()
        self.calls: list[CallRecord] = []
        with self.transaction(SYSTEM_UID) as env:
            seed(env, self.profile, eur_rate=eur_rate)

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self, uid: int, context: dict[str, Any] | None = None) -> Iterator[Env]:
        """One call: lock, environment stamped with the call's start time, commit or
        roll back."""
        with self.lock:
            env = Env(
                self.models,
                self.store,
                self.profile,
                uid=uid,
                now=self.clock.now(),
                context=context,
            )
            self.store.begin()
            try:
                yield env
            except BaseException:
                self.store.rollback()
                raise
            self.store.commit()

    def record(self, call: CallRecord) -> None:
        with self.lock:
            self.calls.append(call)

    # ---------------------------------------------------------------- common service
    def common(self, method: str, args: list[Any]) -> Any:
        """``version``, ``authenticate``, ``login``, ``about``: no transaction needed
        beyond a read."""
        if method == "version":
            return self.profile.version()
        if method == "about":
            return (
                "See http://openerp.com"
                if not args
                else ["See http://openerp.com", self.profile.server_version]
            )
        if method in ("authenticate", "login"):
            db, login, password = args[0], args[1], args[2]
            self._check_db(db)
            return self.authenticate(login, password) or False
        raise AttributeError(f"'common' service has no method {method!r}")

    def db_service(self, method: str, args: list[Any]) -> Any:
        if method == "list":
            return [self.db]
        if method == "server_version":
            return self.profile.server_version
        if method == "db_exist":
            return bool(args) and args[0] == self.db
        raise faults.AccessDenied()

    def authenticate(self, login: str, password: str) -> int | None:
        with self.lock:
            for uid, row in self.store.table("res.users").items():
                if (
                    row["login"] == login
                    and row["active"]
                    and self.credentials.check(uid, password)
                ):
                    return uid
        return None

    def _check_db(self, db: Any) -> None:
        if db != self.db:
            raise faults.OperationalError(
                'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist'
            )

    # ---------------------------------------------------------------- object service
    def execute_kw(
        self,
        db: Any,
        uid: Any,
        password: Any,
        model: str,
        method: str,
        args: list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """``object.execute_kw`` as XML-RPC and JSON-RPC clients call it."""
        self._check_db(db)
        with self.lock:
            if not isinstance(uid, int) or not self.store.exists("res.users", uid):
                raise faults.missing_record("res.users", [uid], uid)
            if not self.credentials.check(uid, str(password)):
                raise faults.AccessDenied()
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) or {}
        args = list(args or [])
        with self.transaction(uid, context) as env:
            target = self._method(env, model, method, rpc_style=True)
            if is_api_model(target):
                result = target(*args, **kwargs)
            else:
                if not args:
                    raise TypeError(f"{method}() missing 1 required positional argument: 'ids'")
                result = target(args[0], *args[1:], **kwargs)
            if method == "create" and args and isinstance(args[0], dict):
                result = result[0]
        return to_wire(result)

    def call_json2(
        self, api_key: str | None, db: str | None, model: str, method: str, body: dict[str, Any]
    ) -> Any:
        """``POST /json/2/<model>/<method>``: named arguments only (30_json2_odoo19)."""
        if not api_key:
            raise faults.Unauthorized(
                "User not authenticated, use an API Key with a Bearer Authorization header."
            )
        with self.lock:
            uid = self.credentials.uid_for_key(api_key)
        if uid is None:
            raise faults.Unauthorized("Invalid apikey")
        if db is not None and db != self.db:
            raise faults.NotFound(f"database {db!r} not found")
        body = dict(body)
        ids = body.pop("ids", None)
        context = body.pop("context", None) or {}
        with self.transaction(uid, context) as env:
            if model not in env:
                raise faults.NotFound(f"the model {model!r} does not exist")
            target = self._method(env, model, method, rpc_style=False)
            if is_api_model(target):
                if ids:
                    raise faults.UnprocessableEntity(f"cannot call {model}.{method} with ids")
                result = target(**body)
            else:
                result = target(ids or [], **body)
        return to_wire(result)

    def _method(self, env: Env, model_name: str, method: str, *, rpc_style: bool) -> Any:
        model: BaseModel = env[model_name]
        if method.startswith("_"):
            raise faults.AccessError(
                self.profile.text("private_method", model=model_name, method=method)
            )
        target = getattr(model, method, None)
        if not callable(target):
            text = self.profile.text("missing_method", model=model_name, method=method)
            raise AttributeError(text) if rpc_style else faults.NotFound(text)
        return target
