"""Replaying recorded Odoo scenarios against a server, as shared/odoo/replay_check.py does.

The algorithm is the reference one: resolve ``$refs`` to earlier results, mask the
``varies`` paths, match ``faultString_pattern``, compare traceback faults by their last
line and JSON-RPC errors by code, message, data.name and data.message. JSON-2 steps
(Odoo 19) are compared by HTTP status and by the whole error object (``debug`` by its
last line).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "scenarios"
STAMP = "T" + "0" * 6


def walk(value: Any, path: list[str]) -> Any:
    for part in path:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def resolve(value: Any, env: dict[str, Any], results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value in env:
            return env[value]
        if re.fullmatch(r"\$[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", value):
            head, *path = value[1:].split(".")
            if head in results:
                return walk(results[head], path)
            raise KeyError(value)
        return value.replace("$STAMP", env["$STAMP"])
    if isinstance(value, list):
        return [resolve(v, env, results) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, env, results) for k, v in value.items()}
    return value


def substitute(text: str, env: dict[str, Any]) -> str:
    """``$NAME`` inside a string (JSON-2 headers: "bearer $APIKEY")."""
    for key in sorted(env, key=len, reverse=True):
        text = text.replace(key, str(env[key]))
    return text


def mask(obj: Any, parts: list[str]) -> Any:
    if not parts:
        return "<varies>"
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(obj, list):
        return [mask(x, rest) for x in obj]
    if isinstance(obj, list) and head.isdigit() and int(head) < len(obj):
        obj = list(obj)
        obj[int(head)] = mask(obj[int(head)], rest)
        return obj
    if isinstance(obj, dict) and head in obj:
        obj = dict(obj)
        obj[head] = mask(obj[head], rest)
        return obj
    return obj


def last_line(text: str) -> str:
    """The exception part of a Python traceback (what the fixtures keep)."""
    lines = text.rstrip().split("\n")
    files = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    if not files:
        return text.strip()
    i = files[-1] + 1
    while i < len(lines) and lines[i].startswith("    "):
        i += 1
    return "\n".join(lines[i:]).strip()


def outcome_of(step: dict[str, Any]) -> dict[str, Any]:
    for key in ("result", "fault", "error"):
        if key in step:
            return {key: step[key]}
    return {}


def norm_err(outcome: dict[str, Any]) -> dict[str, Any]:
    if "error" in outcome:
        e = outcome["error"]
        return {
            "error": [
                e.get("code"),
                e.get("message"),
                e["data"].get("name"),
                e["data"].get("message"),
            ]
        }
    return outcome


@dataclass
class Client:
    url: str

    def xmlrpc(self, service: str, method: str, args: list[Any]) -> dict[str, Any]:
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/{service}", allow_none=True)
        try:
            return {"result": getattr(proxy, method)(*args)}
        except xmlrpc.client.Fault as fault:
            text = fault.faultString
            if "Traceback" in text:
                return {
                    "fault": {
                        "faultCode": fault.faultCode,
                        "faultString": last_line(text),
                        "faultString_is_traceback": True,
                    }
                }
            return {"fault": {"faultCode": fault.faultCode, "faultString": text}}

    def jsonrpc(self, service: str, method: str, args: list[Any]) -> dict[str, Any]:
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"service": service, "method": method, "args": args},
            }
        )
        request = urllib.request.Request(
            f"{self.url}/jsonrpc", body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            reply = json.load(answer)
        if "error" in reply:
            error = reply["error"]
            data = dict(error.get("data") or {})
            data.pop("debug", None)
            return {"error": {"code": error["code"], "message": error["message"], "data": data}}
        return {"result": reply.get("result")}

    def json2(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", raw, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.load(error)


@dataclass
class Replay:
    """Runs one scenario file; ``differences`` lists what did not match."""

    client: Client
    env: dict[str, Any]
    pause: Callable[[float], None]
    results: dict[str, Any] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    steps: int = 0

    def run(self, doc: dict[str, Any]) -> None:
        for step in doc["steps"]:
            self.steps += 1
            if step.get("pause_before_s"):
                self.pause(step["pause_before_s"])
            if step["service"] == "json2":
                self._json2(step)
            else:
                self._rpc(doc["transport"], step)

    def _rpc(self, transport: str, step: dict[str, Any]) -> None:
        transport = step.get("transport_override", transport)
        call = self.client.xmlrpc if transport == "xmlrpc" else self.client.jsonrpc
        if step["service"] == "common":
            got = call("common", step["method"], resolve(step["args"], self.env, self.results))
        else:
            auth = step.get("auth") or {}
            password = resolve(auth.get("password", "$PASSWORD"), self.env, self.results)
            got = call(
                "object",
                "execute_kw",
                [
                    self.env["$DB"],
                    auth.get("uid", self.env["$UID"]),
                    password,
                    step["model"],
                    step["model_method"],
                    resolve(step["args"], self.env, self.results),
                    resolve(step["kwargs"], self.env, self.results),
                ],
            )
        if "result" in got:
            self.results[step["name"]] = got["result"]
        if step.get("faultString_pattern"):
            text = (got.get("fault") or {}).get("faultString", "")
            if not re.search(step["faultString_pattern"], text):
                self.differences.append(f"{step['name']}: pattern mismatch {text[:200]!r}")
        self._compare(step, norm_err(outcome_of(step)), norm_err(got))

    def _json2(self, step: dict[str, Any]) -> None:
        path = (
            step["path"]
            .replace("<model>", str(step["model"]))
            .replace("<model_method>", str(step["model_method"]))
        )
        headers = {k: substitute(v, self.env) for k, v in step["headers"].items()}
        body = step["body"]
        if not isinstance(body, str):
            body = resolve(body, self.env, self.results)
        status, payload = self.client.json2(path, headers, body)
        if status != step["http_status"]:
            self.differences.append(
                f"{step['name']}: HTTP {status}, expected {step['http_status']}: {payload!r}"[:400]
            )
        if "error" in step:
            got = dict(payload) if isinstance(payload, dict) else {"body": payload}
            debug = got.pop("debug", "")
            got.update(debug_last_line=last_line(debug), debug_is_traceback="Traceback" in debug)
            self._compare(step, {"error": step["error"]}, {"error": got})
        else:
            self.results[step["name"]] = payload
            self._compare(step, {"result": step["result"]}, {"result": payload})

    def _compare(self, step: dict[str, Any], expected: Any, got: Any) -> None:
        for path in step.get("varies") or []:
            expected, got = mask(expected, path.split(".")), mask(got, path.split("."))
        if json.dumps(expected, sort_keys=True) != json.dumps(got, sort_keys=True):
            self.differences.append(
                f"{step['name']}\n    exp {json.dumps(expected, ensure_ascii=False)[:500]}"
                f"\n    got {json.dumps(got, ensure_ascii=False)[:500]}"
            )


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
