"""Offline validation of OCDS 1.1 release packages, with the metrics extension.

What libcoveocds does with schemas it fetches, done with the copies in ``reporting/data/ocds``:
the core release schema is patched with the extension's release schema (JSON Merge Patch,
RFC 7386), the package is validated against the release-package schema whose releases are the
patched release schema (JSON Schema draft 4, formats included), and every field the schema
ties to a codelist is checked against it. A value outside a closed codelist is an error; one
outside an open codelist is a warning (publishers may add codes, but should say what they mean).

jsonschema is imported only when validating, so the service runs without it: validation is for
tests, the command line and buyers checking a package before they publish it.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlsplit

RELEASE_SCHEMA_URI = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
METRICS_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_metrics_extension/v1.1/extension.json"
)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package, and where (a JSON Pointer-like path)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of validating one package."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors


def _data() -> Traversable:
    return resources.files("reporting.data").joinpath("ocds")


def _load(*parts: str) -> Any:
    node = _data()
    for part in parts:
        node = node.joinpath(part)
    return json.loads(node.read_text(encoding="utf-8"))


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON Merge Patch (RFC 7386): objects merge, null removes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@functools.cache
def release_schema() -> dict[str, Any]:
    """The OCDS 1.1.5 release schema patched with the metrics extension."""
    patched: dict[str, Any] = merge_patch(
        _load("1.1.5", "release-schema.json"), _load("metrics_extension", "release-schema.json")
    )
    return patched


@functools.cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one codelist (its ``Code`` column)."""
    text = _data().joinpath("1.1.5", "codelists", name).read_text(encoding="utf-8")
    return frozenset(row["Code"] for row in csv.DictReader(text.splitlines()))


def validate_package(package: Any) -> Validation:
    """Validate a release package (parsed JSON; parse numbers as Decimal to keep them exact)."""
    from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    release = release_schema()
    registry: Registry[Any] = Registry().with_resource(
        RELEASE_SCHEMA_URI, Resource.from_contents(release, default_specification=DRAFT4)
    )
    checker = FormatChecker()
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    validator = Draft4Validator(
        _load("1.1.5", "release-package-schema.json"), registry=registry, format_checker=checker
    )
    errors = [
        Problem(_pointer(e.absolute_path), e.message)
        for e in sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
    ]
    warnings: list[Problem] = []
    for i, item in enumerate(package.get("releases") or [] if isinstance(package, dict) else []):
        for problem, closed in _codelist_problems(release, release, item, f"/releases/{i}"):
            (errors if closed else warnings).append(problem)
    return Validation(errors, warnings)


def _codelist_problems(
    root: Mapping[str, Any], schema: Mapping[str, Any], instance: Any, path: str
) -> Iterator[tuple[Problem, bool]]:
    node = _resolve(root, schema)
    name = node.get("codelist")
    if name is not None and instance is not None:
        codes = codelist(name)
        closed = not node.get("openCodelist", False)
        values = instance if isinstance(instance, list) else [instance]
        for value in values:
            if isinstance(value, str) and value not in codes:
                kind = "closed" if closed else "open"
                yield Problem(path, f"'{value}' is not in the {kind} codelist {name}"), closed
    if isinstance(instance, Mapping):
        properties = node.get("properties") or {}
        for key, value in instance.items():
            if key in properties:
                yield from _codelist_problems(root, properties[key], value, f"{path}/{key}")
    elif isinstance(instance, list) and isinstance(node.get("items"), Mapping):
        for i, value in enumerate(instance):
            yield from _codelist_problems(root, node["items"], value, f"{path}/{i}")


def _resolve(root: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while isinstance(ref := schema.get("$ref"), str) and ref.startswith("#/definitions/"):
        schema = root["definitions"][ref.removeprefix("#/definitions/")]
    return schema


def _pointer(parts: Any) -> str:
    return "".join(f"/{p}" for p in parts)


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def parse(text: str) -> Any:
    """Parse JSON keeping every number exact (Decimal), as validation expects."""
    return json.loads(text, parse_float=Decimal)
