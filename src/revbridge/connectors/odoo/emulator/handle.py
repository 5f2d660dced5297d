"""Start an emulator on a port and steer it from a test: :func:`start_emulator`.

Why a handle object: tests need the URL and database to give the connector, a way to
stop the server, and knobs the HTTP API does not offer — failures, credentials, the
clock, and direct (in-process) reads of the state to assert on.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any, Self

from revbridge.connectors.odoo.emulator.clock import Clock
from revbridge.connectors.odoo.emulator.core import ADMIN_UID, CallRecord, Emulator
from revbridge.connectors.odoo.emulator.failures import FailurePlan, Rule
from revbridge.connectors.odoo.emulator.seed import EUR_RATE
from revbridge.connectors.odoo.emulator.server import EmulatorHTTPServer


class EmulatorHandle:
    """A running emulator. Use as a context manager or call :meth:`stop`."""

    def __init__(
        self,
        emulator: Emulator,
        server: EmulatorHTTPServer,
        failures: FailurePlan,
        thread: threading.Thread,
    ) -> None:
        self.emulator = emulator
        self.failures = failures
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host, self.port = str(host), int(port)
        self.url = f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ identity
    @property
    def db(self) -> str:
        return self.emulator.db

    @property
    def version(self) -> str:
        return self.emulator.profile.server_version

    @property
    def clock(self) -> Clock:
        return self.emulator.clock

    @property
    def calls(self) -> list[CallRecord]:
        """Every call served so far (failed ones included), oldest first."""
        with self.emulator.lock:
            return list(self.emulator.calls)

    # ------------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        self.failures.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state
    def execute(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a model method in process as admin, as ``execute_kw`` would (no wire)."""
        password = self.emulator.credentials._passwords[ADMIN_UID]
        return self.emulator.execute_kw(
            self.db, ADMIN_UID, password, model, method, list(args), kwargs
        )

    def records(self, model: str) -> dict[int, dict[str, Any]]:
        """A copy of the stored rows of ``model`` (internal values: Decimal, date)."""
        with self.emulator.lock:
            return {rid: dict(row) for rid, row in self.emulator.store.table(model).items()}

    # ------------------------------------------------------------------ credentials
    def create_api_key(self, uid: int = ADMIN_UID, name: str = "revbridge") -> str:
        with self.emulator.lock:
            return self.emulator.credentials.add_api_key(uid, name)

    def revoke_api_key(self, key: str) -> None:
        """The key stops working at once, on every endpoint."""
        with self.emulator.lock:
            self.emulator.credentials.revoke_api_key(key)

    def set_password(self, password: str, uid: int = ADMIN_UID) -> None:
        """Change a user's password; the old one is refused from now on."""
        with self.emulator.lock:
            self.emulator.credentials.set_password(uid, password)

    # ------------------------------------------------------------------ failures
    def delay(
        self,
        seconds: float,
        *,
        times: int | None = None,
        model: str | None = None,
        method: str | None = None,
    ) -> Rule:
        """Answer every matching call ``seconds`` late (for ``times`` calls, or forever)."""
        return self.failures.add(
            Rule("delay", seconds=seconds, times=times, model=model, method=method)
        )

    def outage(
        self,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        status: int = 503,
        model: str | None = None,
        method: str | None = None,
    ) -> Rule:
        """Answer ``status`` without touching the database, for the next ``calls`` calls
        or for ``seconds`` of emulator clock time."""
        if calls is None and seconds is None:
            raise ValueError("give calls= or seconds=")
        until = self.clock.now() + dt.timedelta(seconds=seconds) if seconds is not None else None
        return self.failures.add(
            Rule("outage", status=status, times=calls, until=until, model=model, method=method)
        )

    def timeout(
        self,
        seconds: float,
        *,
        commit: bool = True,
        times: int | None = 1,
        model: str | None = None,
        method: str | None = None,
    ) -> Rule:
        """Hang ``seconds`` (longer than the client's timeout). With ``commit`` the call
        is executed first and answered late; without, it is dropped unexecuted."""
        return self.failures.add(
            Rule("timeout", seconds=seconds, commit=commit, times=times, model=model, method=method)
        )

    def crash(
        self,
        *,
        after_commit: bool = True,
        times: int | None = 1,
        model: str | None = None,
        method: str | None = None,
    ) -> Rule:
        """Drop the connection without answering; by default after committing."""
        return self.failures.add(
            Rule("crash", commit=after_commit, times=times, model=model, method=method)
        )

    def crash_after_commit(
        self, *, times: int | None = 1, model: str | None = None, method: str | None = None
    ) -> Rule:
        return self.crash(after_commit=True, times=times, model=model, method=method)

    def clear_failures(self) -> None:
        self.failures.clear()


def start_emulator(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    version: str = "17.0",
    db: str = "odoo_test",
    admin_password: str = "admin",
    clock: Clock | None = None,
    eur_rate: Decimal | None = EUR_RATE,
) -> EmulatorHandle:
    """Seed a fresh emulator and serve it in a background thread (``port=0``: any free
    port). ``version`` is "17.0" (XML-RPC/JSON-RPC) or "19.0" (adds JSON-2)."""
    emulator = Emulator(
        version=version, db=db, admin_password=admin_password, clock=clock, eur_rate=eur_rate
    )
    failures = FailurePlan(emulator.clock)
    server = EmulatorHTTPServer((host, port), emulator, failures)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"odoo-emulator-{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return EmulatorHandle(emulator, server, failures, thread)
