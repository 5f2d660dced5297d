"""The generic ORM every emulated model shares: create, read, write, unlink, search.

Why public methods are exactly the RPC surface: like Odoo, any method not starting with
``_`` may be called remotely, and a private one answers fault 4. Helpers are therefore
always ``_prefixed``. Methods marked :func:`api_model` take no record ids; the others
receive the ids as their first argument (``execute_kw``'s ``args[0]``), so a call with
the wrong arguments fails with Python's own ``TypeError`` text, as in Odoo (02).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

from revbridge.connectors.odoo.emulator import faults
from revbridge.connectors.odoo.emulator.registry import domain as dom
from revbridge.connectors.odoo.emulator.registry import fields as f
from revbridge.connectors.odoo.emulator.registry import grouping
from revbridge.connectors.odoo.emulator.registry.environment import Env

F = TypeVar("F", bound=Callable[..., Any])


def api_model(method: F) -> F:
    """Mark a method that is called on the model, without record ids."""
    method._api_model = True  # type: ignore[attr-defined]
    return method


def is_api_model(method: Any) -> bool:
    return bool(getattr(method, "_api_model", False))


class Record:
    """Attribute access to one row for business code: ``move.partner_id.name``.

    Many2one reads as a Record or None, x2many as a list of Records, the rest as the
    internal value (Decimal, date, str, ...)."""

    __slots__ = ("_model", "id")

    def __init__(self, model: BaseModel, rid: int) -> None:
        self._model = model
        self.id = rid

    def __getattr__(self, name: str) -> Any:
        model = self._model
        field = model._field(name)
        if field is None:
            raise AttributeError(name)
        value = model._value(self.id, name)
        if isinstance(field, f.Many2one):
            return Record(model._env[field.comodel], value) if value else None
        if isinstance(field, (f.One2many, f.Many2many)):
            comodel = model._env[field.comodel]
            return [Record(comodel, rid) for rid in value or []]
        return value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and (other._model._name, other.id) == (
            self._model._name,
            self.id,
        )

    def __hash__(self) -> int:
        return hash((self._model._name, self.id))

    def __repr__(self) -> str:
        return f"{self._model._name}({self.id})"

    def write(self, vals: dict[str, Any]) -> None:
        self._model._write_raw([self.id], vals)


class BaseModel:
    """A model bound to one :class:`Env`; ids travel as plain ints."""

    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str | None] = "name"
    _inherits: ClassVar[dict[str, str]] = {}
    _fields: ClassVar[dict[str, f.Field]] = {}

    id = f.Integer("ID", readonly=True)
    display_name = f.Char("Display Name", compute=lambda m, rid: m._display_name(rid))
    create_date = f.Datetime("Created on", readonly=True)
    write_date = f.Datetime("Last Updated on", readonly=True)
    create_uid = f.Many2one("res.users", "Created by", readonly=True)
    write_uid = f.Many2one("res.users", "Last Updated by", readonly=True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        collected: dict[str, f.Field] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, f.Field):
                    collected[name] = value
        cls._fields = collected

    def __init__(self, env: Env) -> None:
        self._env = env

    # ----------------------------------------------------------------------- helpers
    def _text(self, key: str, **values: Any) -> str:
        return self._env.profile.text(key, **values)

    def _precision(self, application: str) -> int:
        for row in self._env.store.table("decimal.precision").values():
            if row["name"] == application:
                return int(row["digits"])
        return 2

    def _field(self, name: str) -> f.Field | None:
        if name in self._fields:
            return self._fields[name]
        for parent in self._inherits:
            field: f.Field | None = self._env[parent]._field(name)
            if field is not None and name not in BaseModel._fields:
                return field
        return None

    def _owner(self, name: str) -> tuple[BaseModel, str | None]:
        """The model that stores ``name`` and the link field leading to it."""
        if name in self._fields:
            return self, None
        for parent, link in self._inherits.items():
            if self._env[parent]._field(name) is not None:
                return self._env[parent], link
        return self, None

    def _rows(self) -> dict[int, dict[str, Any]]:
        return self._env.store.table(self._name)

    def _exists(self, rid: Any) -> bool:
        return isinstance(rid, int) and self._env.store.exists(self._name, rid)

    def _browse(self, rid: int) -> Record:
        return Record(self, rid)

    def _records(self, ids: Iterable[int]) -> list[Record]:
        return [Record(self, rid) for rid in ids]

    def _value(self, rid: int, name: str) -> Any:
        """The internal value of one field of one record (stored, computed or inverse)."""
        owner, link = self._owner(name)
        if link is not None:
            return owner._value(self._env.store.row(self._name, rid)[link], name)
        field = self._fields[name]
        if isinstance(field, f.One2many):
            comodel = self._env[field.comodel]
            ids = [
                cid
                for cid, row in comodel._rows().items()
                if row.get(field.inverse) == rid
                and (field.row_filter is None or field.row_filter(row))
            ]
            return comodel._sorted(ids)
        if field.compute is not None:
            return field.compute(self, rid)
        row = self._env.store.row(self._name, rid)
        value = row.get(name)
        return list(value) if isinstance(value, list) else value

    def _display_name(self, rid: int) -> str:
        if self._rec_name and self._field(self._rec_name) is not None:
            value = self._value(rid, self._rec_name)
            return str(value) if value not in (None, False) else ""
        return f"{self._name},{rid}"

    def _ids(self, ids: Any) -> list[int]:
        """Record ids as Odoo accepts them: an int or a list of ints."""
        if isinstance(ids, int) and not isinstance(ids, bool):
            return [ids]
        if isinstance(ids, (list, tuple)):
            return [int(i) for i in ids]
        raise TypeError(f"ids must be a list of integers, got {ids!r}")

    def _check_exists(self, ids: Sequence[int]) -> None:
        missing = [rid for rid in ids if not self._exists(rid)]
        if missing:
            raise faults.missing_record(self._name, missing, self._env.uid)

    def _check_field_names(self, names: Iterable[str]) -> None:
        for name in names:
            if self._field(name) is None:
                raise ValueError(self._text("invalid_field", field=name, model=self._name))

    # ------------------------------------------------------------------------- create
    @api_model
    def create(self, vals_list: Any) -> list[int]:
        """Create one record per dict; Odoo's RPC layer answers an int for a dict."""
        items = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        return [self._create_one(dict(vals)) for vals in items]

    def _create_one(self, vals: dict[str, Any]) -> int:
        self._check_field_names(vals)
        vals = self._prepare_create(vals)
        rid = self._insert(vals)
        self._after_create(rid, vals)
        return rid

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        """Hook: business defaults computed from the other values."""
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        """Hook: work that needs the new id (lines, taxes, constraints)."""

    def _insert(self, vals: dict[str, Any]) -> int:
        parent_ids: dict[str, int] = {}
        for parent, link in self._inherits.items():
            if vals.get(link):
                parent_ids[link] = vals[link]
                continue
            parent_model = self._env[parent]
            parent_vals = {
                k: v
                for k, v in vals.items()
                if k not in self._fields and parent_model._field(k) is not None
            }
            parent_ids[link] = parent_model._create_one(parent_vals)
        rid = self._env.store.next_id(self._name)
        now, uid = self._env.now, self._env.uid
        row: dict[str, Any] = {
            "id": rid,
            "create_date": now,
            "write_date": now,
            "create_uid": uid,
            "write_uid": uid,
        }
        relational: dict[str, Any] = {}
        for name, field in self._fields.items():
            if name in row or not field.store:
                if isinstance(field, f.One2many) and name in vals:
                    relational[name] = vals[name]
                continue
            if name in parent_ids:
                row[name] = parent_ids[name]
            elif name in vals:
                row[name] = self._convert(field, vals[name])
            else:
                row[name] = self._default(field)
        for name, field in self._fields.items():
            if field.required and field.store and row.get(name) in (None, ""):
                raise faults.sql_not_null(self._description, self._name, field.string, name)
        self._check_references(row)
        self._env.store.insert(self._name, rid, row)
        for name, commands in relational.items():
            self._apply_one2many(rid, self._fields[name], commands)  # type: ignore[arg-type]
        return rid

    def _default(self, field: f.Field) -> Any:
        default = field.default
        if callable(default):
            default = default(self)
        if default is None:
            return field.empty()
        return self._convert(field, default)

    def _convert(self, field: f.Field, value: Any) -> Any:
        if isinstance(field, f.Many2many):
            return self._many2many_ids([], value)
        return field.to_cache(value, self)

    def _check_references(self, row: dict[str, Any]) -> None:
        """Foreign keys: a many2one must name an existing record."""
        for name, value in row.items():
            field = self._fields.get(name)
            if (
                isinstance(field, f.Many2one)
                and value is not None
                and name not in ("create_uid", "write_uid")
                and not self._env.store.exists(field.comodel, value)
            ):
                raise faults.sql_not_null(self._description, self._name, field.string, name)

    # -------------------------------------------------------------------------- write
    def write(self, ids: Any, vals: dict[str, Any]) -> bool:
        ids = self._ids(ids)
        self._check_field_names(vals)
        self._check_exists(ids)
        self._check_write(ids, vals)
        self._write_raw(ids, vals)
        self._after_write(ids, vals)
        return True

    def _check_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        """Hook: business rules that refuse a write (posted or reconciled moves)."""

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        """Hook: recomputations after a write."""

    def _write_raw(self, ids: Sequence[int], vals: dict[str, Any]) -> None:
        """Store values without business rules; stamps write_date/write_uid."""
        own: dict[str, Any] = {}
        relational: dict[str, Any] = {}
        by_parent: dict[str, dict[str, Any]] = {}
        for name, value in vals.items():
            owner, link = self._owner(name)
            field = owner._fields[name]
            if link is not None:
                by_parent.setdefault(link, {})[name] = value
            elif isinstance(field, f.One2many):
                relational[name] = value
            elif field.store and name not in ("id", "create_date", "create_uid"):
                own[name] = field
        for rid in ids:
            row = self._env.store.row(self._name, rid)
            changes: dict[str, Any] = {"write_date": self._env.now, "write_uid": self._env.uid}
            for name, field in own.items():
                if isinstance(field, f.Many2many):
                    changes[name] = self._many2many_ids(row.get(name) or [], vals[name])
                else:
                    changes[name] = field.to_cache(vals[name], self)
            self._check_references(changes)
            self._env.store.update(self._name, rid, changes)
            for name, commands in relational.items():
                self._apply_one2many(rid, self._fields[name], commands)  # type: ignore[arg-type]
            for link, parent_vals in by_parent.items():
                parent = self._env[self._owner(next(iter(parent_vals)))[0]._name]
                parent._write_raw([row[link]], parent_vals)

    # ----------------------------------------------------------------- x2many commands
    def _many2many_ids(self, current: list[int], value: Any) -> list[int]:
        ids = list(current)
        if value is False or value is None:
            return []
        for command in value:
            if isinstance(command, int):
                ids = ids if command in ids else [*ids, command]
                continue
            code = command[0]
            if code == 6:
                ids = [int(i) for i in command[2]]
            elif code == 5:
                ids = []
            elif code == 4 and command[1] not in ids:
                ids.append(int(command[1]))
            elif code in (2, 3):
                ids = [i for i in ids if i != command[1]]
        return ids

    def _apply_one2many(self, rid: int, field: f.One2many, commands: Any) -> None:
        comodel = self._env[field.comodel]
        for command in commands or []:
            code = command[0]
            if code == 0:
                comodel._create_one({**command[2], field.inverse: rid})
            elif code == 1:
                comodel._check_exists([command[1]])
                comodel._write_raw([command[1]], command[2])
            elif code in (2, 3):
                if comodel._exists(command[1]):
                    comodel._delete([command[1]])
            elif code == 4:
                comodel._write_raw([command[1]], {field.inverse: rid})
            elif code in (5, 6):
                keep = set(command[2]) if code == 6 else set()
                for cid in self._value(rid, field.name):
                    if cid not in keep:
                        comodel._delete([cid])
                for cid in keep:
                    comodel._write_raw([cid], {field.inverse: rid})

    # ------------------------------------------------------------------------- unlink
    def unlink(self, ids: Any) -> bool:
        ids = self._ids(ids)
        self._check_unlink(ids)
        self._delete([rid for rid in ids if self._exists(rid)])
        return True

    def _check_unlink(self, ids: list[int]) -> None:
        """Hook: refuse deleting protected records (posted moves)."""

    def _delete(self, ids: Sequence[int]) -> None:
        """Delete rows and, like ``ondelete='cascade'``, their one2many children."""
        for rid in ids:
            for field in self._fields.values():
                if isinstance(field, f.One2many) and field.cascade:
                    children = self._value(rid, field.name)
                    if children:
                        self._env[field.comodel]._delete(children)
            if self._exists(rid):
                self._env.store.delete(self._name, rid)

    # ------------------------------------------------------------------------- search
    @api_model
    def search(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        return self._search(domain, offset, limit, order)

    def _search(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        domain = list(domain or [])
        dom.check(self, domain)
        if (
            self._field("active") is not None
            and self._env.context.get("active_test", True)
            and not any(dom.is_leaf(t) and str(t[0]) == "active" for t in domain)
        ):
            domain = (
                ["&", ["active", "=", True], *dom.normalize(domain)]
                if domain
                else [["active", "=", True]]
            )
        ids = [rid for rid in list(self._rows()) if dom.matches(self, rid, domain)]
        ids = self._sorted(ids, order)
        ids = ids[offset or 0 :]
        return ids[:limit] if limit else ids

    @api_model
    def search_count(self, domain: Any, limit: int | None = None) -> int:
        return len(self._search(domain, limit=limit))

    @api_model
    def search_read(
        self,
        domain: Any = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        **read_kwargs: Any,
    ) -> list[dict[str, Any]]:
        ids = self._search(domain or [], offset, limit, order)
        return self._read_format(ids, fields, **read_kwargs)

    @api_model
    def name_search(
        self,
        name: str = "",
        args: Any = None,
        operator: str = "ilike",
        limit: int = 100,
        domain: Any = None,
    ) -> list[list[Any]]:
        extra = list(domain or args or [])
        ids = self._search(extra, order=None)
        if name:
            ids = [
                rid
                for rid in ids
                if dom._compare(self, f.Char(), operator, self._display_name(rid), name)
            ]
        return [[rid, self._display_name(rid)] for rid in ids[:limit]]

    @api_model
    def name_create(self, name: str) -> list[Any]:
        rid = self._create_one({self._rec_name or "name": name})
        return [rid, self._display_name(rid)]

    def _sorted(self, ids: list[int], order: str | None = None) -> list[int]:
        spec = order or self._order
        keys = []
        for part in spec.split(","):
            words = part.strip().split()
            if not words:
                continue
            if (
                len(words) > 2
                or self._field(words[0]) is None
                or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
            ):
                raise ValueError(
                    f'Invalid "order" specified ({spec}). A valid "order" '
                    "specification is a comma-separated list of valid field "
                    "names (optionally followed by asc/desc for the direction)"
                )
            keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
        result = list(ids)
        for name, desc in reversed(keys):
            result.sort(key=functools.partial(self._sort_key, name=name), reverse=desc)
        return result

    def _sort_key(self, rid: int, name: str) -> tuple[bool, Any]:
        field = self._field(name)
        value = self._value(rid, name)
        if isinstance(field, f.Many2one) and value:
            value = self._env[field.comodel]._display_name(value).casefold()
        elif isinstance(value, str):
            value = value.casefold()
        elif isinstance(value, list):
            value = len(value)
        empty = value is None or (value is False and not isinstance(field, f.Boolean))
        return (empty, 0 if empty else value)

    @api_model
    def read_group(
        self,
        domain: Any,
        fields: list[str],
        groupby: Any,
        offset: int = 0,
        limit: int | None = None,
        orderby: str | bool = False,
        lazy: bool = True,
    ) -> list[dict[str, Any]]:
        return grouping.read_group(
            self,
            domain,
            fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby if isinstance(orderby, str) else None,
            lazy=lazy,
        )

    # --------------------------------------------------------------------------- read
    def read(
        self, ids: Any, fields: list[str] | None = None, load: str | None = "_classic_read"
    ) -> list[dict[str, Any]]:
        ids = [rid for rid in self._ids(ids) if self._exists(rid)]
        return self._read_format(ids, fields, load=load)

    def _read_format(
        self, ids: list[int], fnames: list[str] | None = None, load: str | None = "_classic_read"
    ) -> list[dict[str, Any]]:
        names = list(fnames) if fnames else [n for n in self._all_fields() if n != "id"]
        self._check_field_names(names)
        result = []
        for rid in ids:
            record: dict[str, Any] = {"id": rid}
            for name in names:
                if name == "id":
                    continue
                owner, _link = self._owner(name)
                field = owner._fields[name]
                value = field.to_read(self._value(rid, name), owner)
                if load != "_classic_read" and isinstance(field, f.Many2one) and value:
                    value = value[0]
                record[name] = value
            result.append(record)
        return result

    def _all_fields(self) -> list[str]:
        names = list(self._fields)
        for parent in self._inherits:
            names += [n for n in self._env[parent]._all_fields() if n not in names]
        return names

    # -------------------------------------------------------------------- misc public
    @api_model
    def fields_get(
        self, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, Any]:
        names = allfields or self._all_fields()
        result = {}
        for name in names:
            field = self._field(name)
            if field is None:
                continue
            description = field.describe()
            if attributes:
                description = {k: v for k, v in description.items() if k in attributes}
            result[name] = description
        return result

    @api_model
    def default_get(self, fields_list: list[str]) -> dict[str, Any]:
        result = {}
        for name in fields_list:
            field = self._field(name)
            if field is not None and field.store and field.default is not None:
                result[name] = field.to_read(self._default(field), self)
        return result

    def exists(self, ids: Any) -> list[int]:
        return [rid for rid in self._ids(ids) if self._exists(rid)]

    def copy(self, ids: Any, default: dict[str, Any] | None = None) -> int:
        (rid,) = self._ids(ids)
        self._check_exists([rid])
        vals = {
            name: self._value(rid, name)
            for name, field in self._fields.items()
            if field.store and name not in BaseModel._fields
        }
        vals.update(default or {})
        return self._create_one({k: (False if v is None else v) for k, v in vals.items()})

    def get_external_id(self, ids: Any) -> dict[int, str]:
        """Int keys on purpose: Odoo's XML-RPC cannot marshal them (05)."""
        data = self._env["ir.model.data"]
        result = {rid: "" for rid in self._ids(ids)}
        for row in data._rows().values():
            if row["model"] == self._name and row["res_id"] in result:
                result[row["res_id"]] = f"{row['module']}.{row['name']}"
        return result

    @api_model
    def check_access_rights(self, operation: str, raise_exception: bool = True) -> bool:
        return True
