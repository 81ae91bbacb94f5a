"""Checks every exchange the fake Google APIs have against the discovery documents shipped in
google-api-python-client.

The fake already routes by those documents (method, path, parameter names, enums, bounds,
scopes). This adds the bodies: a request body must match the method's ``request`` schema and a
2xx answer its ``response`` schema — no property the schema does not declare, and each value of
the declared JSON type (int64 values as strings, as Google sends them); an error answer must be
Google's ``{"error": {"code", "message", "status", "errors"}}`` shape. A ``fields`` mask
(Google's partial response syntax, ``a,b/c,d(e,f)``; the newer APIs also write ``b.c``) may name
only fields of the response schema; :func:`field_mask` cuts an answer to it as Google does.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from tests.support.conformance import PROBLEMS, TOTALS

__all__ = ["GoogleConformance", "field_mask"]

APIS = (
    ("admin", "directory_v1"),
    ("gmail", "v1"),
    ("sheets", "v4"),
    ("forms", "v1"),
    ("chat", "v1"),
)
ERROR_KEYS = {"code", "message", "status", "errors", "details"}


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """Method id -> its discovery method, with the document's schemas under ``_schemas``."""
    from googleapiclient.discovery_cache import get_static_doc

    methods: dict[str, dict[str, Any]] = {}
    for name, version in APIS:
        doc = json.loads(get_static_doc(name, version))

        def walk(resource: dict[str, Any], schemas: dict[str, Any]) -> None:
            for method in resource.get("methods", {}).values():
                methods[method["id"]] = {**method, "_schemas": schemas}
            for child in resource.get("resources", {}).values():
                walk(child, schemas)

        walk(doc, doc.get("schemas", {}))
    return methods


def _check(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str, enums: bool = False
) -> list[str]:
    """Problems of ``value`` against a discovery schema (recursively); with ``enums``, a string
    outside the schema's ``enum`` too."""
    if "$ref" in schema:
        return _check(value, schemas[schema["$ref"]], schemas, where, enums)
    kind = schema.get("type")
    if value is None:
        return []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        problems: list[str] = []
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                problems += _check(item, props[key], schemas, f"{where}.{key}", enums)
            elif isinstance(extra, dict):
                problems += _check(item, extra, schemas, f"{where}.{key}", enums)
            else:
                name = schema.get("id", "this object")
                problems.append(f"{where}: '{key}' is not in the discovery schema {name}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        inner = schema.get("items", {})
        return [
            p
            for n, item in enumerate(value)
            for p in _check(item, inner, schemas, f"{where}[{n}]", enums)
        ]
    if kind == "string" and not isinstance(value, str):
        return [f"{where}: expected a string ({schema.get('format', 'text')})"]
    if kind == "string" and enums and "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of the discovery document's values"]
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{where}: expected an integer"]
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return [f"{where}: expected a number"]
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{where}: expected a boolean"]
    return []


def _parse_mask(text: str) -> dict[str, Any]:
    """``a,b/c,d(e,f)`` as a tree: name -> sub-tree (None: the whole field)."""
    tree: dict[str, Any] = {}

    def parse(at: int, into: dict[str, Any]) -> int:
        while at < len(text):
            end = at
            while end < len(text) and text[end] not in ",()":
                end += 1
            parts, sub = re.split(r"[./]", text[at:end].strip()), None
            at = end
            if at < len(text) and text[at] == "(":
                sub = {}
                at = parse(at + 1, sub) + 1
            node = into
            for part in parts[:-1]:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
            node[parts[-1]] = sub
            if at < len(text) and text[at] == ")":
                return at
            at += 1
        return at

    parse(0, tree)
    return tree


def _cut(
    value: Any,
    tree: dict[str, Any] | None,
    schema: dict[str, Any],
    schemas: dict[str, Any],
    where: str,
) -> Any:
    if "$ref" in schema:
        return _cut(value, tree, schemas[schema["$ref"]], schemas, where)
    if tree is None:
        return value
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if value is None:  # nothing to cut: check the mask alone
            return _cut(None, tree, items, schemas, where)
        return [_cut(v, tree, items, schemas, where) for v in value]
    if isinstance(value, list):  # a field the document types "any" holding a list
        return [_cut(v, tree, schema, schemas, where) for v in value]
    props = schema.get("properties", {})
    typed = "properties" in schema  # "any", or a map: any name
    kept: dict[str, Any] = {}
    for name, sub in tree.items():
        if name == "*":
            kept.update(value if isinstance(value, dict) else {})
            continue
        if name not in props and typed:
            raise ValueError(f"{where}{name}")
        inner = value.get(name) if isinstance(value, dict) else None
        cut = _cut(inner, sub, props.get(name, {}), schemas, f"{where}{name}/")
        if isinstance(value, dict) and name in value:
            kept[name] = cut
    return kept


def field_mask(method_id: str, fields: str, data: Any) -> Any:
    """``data`` (an answer of ``method_id``) cut to the ``fields`` mask as Google does;
    ValueError naming the first field the method's response schema does not have."""
    method = _documents()[method_id]
    schema = method.get("response") or {}
    return _cut(data, _parse_mask(fields), schema, method["_schemas"], "")


class GoogleConformance:
    """Validates the fake Google's request and response bodies (see the module docstring)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.requests = 0
        self.responses = 0

    def check(
        self,
        method_id: str | None,
        body: bytes,
        status: int,
        answer: bytes,
        fields: str | None = None,
    ) -> None:
        """Check one exchange of ``method_id`` (None: the fake could not route it) and the
        ``fields`` mask it asked for."""
        before = len(self.problems)
        self._check(method_id, body, status, answer)
        if method_id is not None and fields:
            try:
                field_mask(method_id, fields, {})
            except ValueError as exc:
                self.problems.append(
                    f"{method_id}: the fields mask names '{exc}', not a field "
                    "of the response in the discovery document"
                )
        PROBLEMS.extend(self.problems[before:])

    def _check(self, method_id: str | None, body: bytes, status: int, answer: bytes) -> None:
        if method_id is None:
            return  # refused by the fake's router with a 400, itself per the discovery document
        method = _documents()[method_id]
        schemas = method["_schemas"]
        request_schema = method.get("request")
        if body and request_schema is not None:
            self.requests += 1
            TOTALS["google requests"] += 1
            try:
                sent = json.loads(body)
            except ValueError:
                if not method.get("supportsMediaUpload"):  # an upload carries the raw media
                    self.problems.append(f"{method_id}: request body is not JSON")
            else:
                self.problems += _check(sent, request_schema, schemas, f"{method_id} request")
        elif body and request_schema is None:
            self.problems.append(f"{method_id}: a request body for a method that takes none")
        if not answer:
            return
        self.responses += 1
        TOTALS["google responses"] += 1
        try:
            data = json.loads(answer)
        except ValueError:
            self.problems.append(f"{method_id}: answer is not JSON")
            return
        if status >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            if not isinstance(error, dict) or not {"code", "message"} <= set(error):
                self.problems.append(f"{method_id}: error answer is not Google's error shape")
            elif set(error) - ERROR_KEYS:
                extra = sorted(set(error) - ERROR_KEYS)
                self.problems.append(f"{method_id}: error answer has {extra}")
            return
        response_schema = method.get("response")
        if response_schema is None:
            if data not in ({}, None, ""):
                self.problems.append(f"{method_id}: answered a body where Google sends none")
            return
        self.problems += _check(data, response_schema, schemas, f"{method_id} response")
