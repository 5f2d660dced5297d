"""The exceptions the emulated server raises, and how each wire reports them.

Why the classes pretend to live in ``odoo.exceptions``, ``psycopg2.errors`` and
``werkzeug.exceptions``: clients see the exception's qualified name (JSON-RPC
``data.name``, JSON-2 ``name``, the last line of an XML-RPC traceback fault). Setting
``__module__`` lets Python's own traceback formatting print exactly what Odoo prints.

Wire mapping, as recorded (FACTS.md 8, 10, 16):

- XML-RPC: AccessDenied -> faultCode 3 "Access Denied"; AccessError -> 4 with its
  message; any other UserError (ValidationError, MissingError, ...) -> 2 with its message;
  anything else -> 1 with the full traceback as faultString.
- JSON-RPC: HTTP 200, ``error {code 200, message "Odoo Server Error", data {name,
  message, arguments, context, debug}}``.
- JSON-2: the ``data`` object alone as the body, with an HTTP status from
  :func:`json2_status`.
"""

from __future__ import annotations

import traceback
from typing import Any

ODOO_SERVER_ERROR = "Odoo Server Error"


class UserError(Exception):
    """A business rule refused the call; the message is meant for the user."""


class ValidationError(UserError):
    """A constraint (Python or SQL) refused the values."""


class MissingError(UserError):
    """A record named by id does not exist (any more)."""


class AccessError(UserError):
    """The call is not allowed, e.g. a private method called remotely."""


class AccessDenied(Exception):
    """Wrong credentials: always the same message, by design of the server."""

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


for _cls in (UserError, ValidationError, MissingError, AccessError, AccessDenied):
    _cls.__module__ = "odoo.exceptions"


class InvalidTextRepresentation(Exception):
    """PostgreSQL refused a value of the wrong type (a string for an integer column)."""


InvalidTextRepresentation.__module__ = "psycopg2.errors"


class OperationalError(Exception):
    """PostgreSQL could not be reached, e.g. the database does not exist."""


OperationalError.__module__ = "psycopg2"


class HTTPException(Exception):
    """A werkzeug-style HTTP error: JSON-2 reports it with its own status code."""

    code = 500
    title = "Internal Server Error"

    def __init__(self, description: str) -> None:
        super().__init__(description, self.code)
        self.description = description

    def __str__(self) -> str:
        return f"{self.code} {self.title}: {self.description}"


class BadRequest(HTTPException):
    code, title = 400, "Bad Request"


class Unauthorized(HTTPException):
    code, title = 401, "Unauthorized"


class NotFound(HTTPException):
    code, title = 404, "Not Found"


class MethodNotAllowed(HTTPException):
    code, title = 405, "Method Not Allowed"


class UnprocessableEntity(HTTPException):
    code, title = 422, "Unprocessable Entity"


for _http in (
    HTTPException,
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    UnprocessableEntity,
):
    _http.__module__ = "werkzeug.exceptions"


def qualified_name(exc: BaseException) -> str:
    """``odoo.exceptions.UserError``, ``builtins.ValueError``, ..."""
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


def message_of(exc: BaseException) -> str:
    if isinstance(exc, HTTPException):
        return exc.description
    return str(exc.args[0]) if exc.args else str(exc)


def traceback_text(exc: BaseException) -> str:
    """The traceback Odoo puts in ``debug`` and in code-1 XML-RPC faults."""
    return "".join(traceback.format_exception(exc)).rstrip("\n")


def xmlrpc_fault(exc: BaseException) -> tuple[int, str]:
    """(faultCode, faultString) for an exception raised by a call."""
    if isinstance(exc, AccessDenied):
        return 3, "Access Denied"
    if isinstance(exc, AccessError):
        return 4, message_of(exc)
    if isinstance(exc, UserError):
        return 2, message_of(exc)
    return 1, traceback_text(exc)


def error_data(exc: BaseException) -> dict[str, Any]:
    """The ``data`` object of a JSON-RPC error, which is also a JSON-2 error body."""
    return {
        "name": qualified_name(exc),
        "message": message_of(exc),
        "arguments": [a if isinstance(a, (str, int, float)) else str(a) for a in exc.args],
        "context": {},
        "debug": traceback_text(exc),
    }


def jsonrpc_error(exc: BaseException) -> dict[str, Any]:
    return {"code": 200, "message": ODOO_SERVER_ERROR, "data": error_data(exc)}


def json2_status(exc: BaseException) -> int:
    """HTTP status of a JSON-2 error (30_json2_odoo19)."""
    if isinstance(exc, HTTPException):
        return exc.code
    if isinstance(exc, AccessDenied):
        return 401
    if isinstance(exc, MissingError):
        return 404
    if isinstance(exc, AccessError):
        return 403
    if isinstance(exc, UserError):
        return 422
    return 500


def sql_not_null(
    model_description: str, model: str, field_string: str, field: str
) -> ValidationError:
    """A NOT NULL or foreign key violation, as Odoo words it (15_errors_xmlrpc)."""
    return ValidationError(
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. "
        "If possible, archive it instead.\n\n"
        f"Model: {model_description} ({model})\n"
        f"Field: {field_string} ({field})\n"
    )


def sql_unique(constraint: str, columns: str, values: str) -> ValidationError:
    """A unique index violation (05_external_id_ir_model_data)."""
    return ValidationError(
        "The operation cannot be completed: duplicate key value violates unique constraint "
        f'"{constraint}"\nDETAIL:  Key ({columns})=({values}) already exists.\n'
    )


def missing_record(model: str, ids: list[int], uid: int) -> MissingError:
    shown = ", ".join(str(i) for i in ids)
    return MissingError(
        f"Record does not exist or has been deleted.\n(Record: {model}({shown},), User: {uid})"
    )


def invalid_integer(value: str) -> InvalidTextRepresentation:
    """A string where an integer column is expected. The second and third lines quote
    the INSERT that PostgreSQL refused; they are reproduced for a ``res.partner`` create,
    the only case recorded."""
    prefix = 'LINE 1: ..._id", "write_date", "write_uid") VALUES (true, 0, \''
    return InvalidTextRepresentation(
        f'invalid input syntax for type integer: "{value}"\n'
        f"{prefix}{value}...\n" + " " * (len(prefix) - 1) + "^"
    )
