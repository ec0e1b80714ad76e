"""platform.yaml -> Catalog, with every problem reported at once as `file:line: field.path: message`.

Resolution happens here and only here: service_defaults <- services.<name> <- the environment's
service_overrides."*" <- service_overrides.<name>, each step a JSON merge patch (RFC 7386); a service's
image_tag starts as project.image_tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from catalog import rules
from catalog.fields import Name, shown
from catalog.models import Catalog, Environment, Namespace, Project, Service
from catalog.yaml_source import Located, Unreadable, YamlProblem, parse, read_text

__all__ = ["CatalogError", "Problem", "load_catalog"]

FieldPath = tuple[str, ...]
ENVIRONMENT_ONLY_KEYS = ("service_overrides",)
# Enough to fix a file by; beyond it a listing only costs time (a 1 MiB list of bad names would
# otherwise be reported once per item and environment).
MAX_PROBLEMS = 200


class Problem(BaseModel):
    """One input error; str() is the one line a user sees."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int | None
    path: FieldPath
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = ".".join(self.path)
        return f"{where}: {field}: {self.message}" if field else f"{where}: {self.message}"


class CatalogError(Exception):
    """The catalog is invalid; `problems` lists every error found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.line or 0, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class _FileShape(BaseModel):
    """The top level of platform.yaml; services and environments are checked per entry later."""

    model_config = ConfigDict(extra="forbid")
    project: Project
    namespaces: dict[Name, Namespace]
    service_defaults: dict[str, Any]
    services: dict[Name, dict[str, Any]]
    environments: dict[Name, dict[str, Any]]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: mappings merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class _Flooded(Exception):
    """MAX_PROBLEMS were found: a file this wrong gets no more checking (hostile input stays cheap)."""


class _Collector:
    """Turns YAML problems, pydantic errors and rule findings into Problems with file lines."""

    def __init__(self, display_name: str) -> None:
        self.file, self.problems = display_name, []
        self.located = Located({}, {})

    def add_yaml(self, problems: Iterable[YamlProblem]) -> None:
        for problem in problems:
            self.add(problem.path, problem.message, line=problem.line)

    def add(self, path: FieldPath, message: str, line: int | None = None) -> None:
        if len(self.problems) == MAX_PROBLEMS:
            raise _Flooded
        line = line or self.located.line_of(path)
        self.problems.append(Problem(file=self.file, line=line, path=path, message=message))

    def add_validation(self, error: ValidationError, locate) -> None:
        for item in error.errors(include_url=False):
            loc = tuple(str(part) for part in item["loc"])
            path = locate(loc)
            if path in self.located.unread:  # null stands in for it: the schema would only repeat YAML's problem
                continue
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "missing":
                message = "required field is missing"
            elif item["type"] == "extra_forbidden":
                message = "unknown field"
            elif "input" in item and item["type"].endswith("_type"):
                message = f"{message} (got {type(item['input']).__name__} {shown(item['input'])})"
            self.add(path, message)


def _service_source(located: Located, env: str, service: str, field: FieldPath) -> FieldPath:
    """The catalog path a resolved service field came from: the most specific layer that sets it."""
    layers = (
        ("environments", env, "service_overrides", service),
        ("environments", env, "service_overrides", "*"),
        ("services", service),
        ("service_defaults",),
    )
    for depth in range(len(field), 0, -1):
        for layer in layers:
            if (*layer, *field[:depth]) in located.lines:
                return (*layer, *field)
    return ("services", service, *field)


def load_catalog(path: Path, display_name: str | None = None, *, text: str | None = None) -> Catalog:
    """Load and validate; raise CatalogError listing every problem found (up to MAX_PROBLEMS).

    `text`, when given, is what `path` is about to hold (an edit checked before it is written)."""
    out = _Collector(display_name or path.name)
    catalog = None
    try:
        catalog = _validate(path, out, text)
    except _Flooded:
        out.problems.append(Problem(file=out.file, line=None, path=(),
                                    message=f"stopped after {MAX_PROBLEMS} problems; fix these first"))
    if out.problems or catalog is None:
        raise CatalogError(out.problems)
    return catalog


def _overrides(shape: _FileShape, env_name: str, env_raw: dict[str, Any], out: _Collector) -> dict[str, Any]:
    """The environment's service_overrides, each checked to be a merge patch for a known service."""
    overrides = env_raw.get("service_overrides") or {}
    if not isinstance(overrides, dict):
        out.add(("environments", env_name, "service_overrides"), "must be a mapping of service name to patch")
        return {}
    for key, patch in overrides.items():
        if key != "*" and key not in shape.services:
            out.add(("environments", env_name, "service_overrides", key), "override for an unknown service")
        elif not isinstance(patch, dict | None):
            out.add(("environments", env_name, "service_overrides", key), "must be a mapping (a merge patch)")
    return overrides


def _environment(shape: _FileShape, env_name: str, env_raw: dict[str, Any], located: Located,
                 out: _Collector) -> Environment | None:
    """One environment with every service resolved through its layers; None when it does not validate."""
    overrides = _overrides(shape, env_name, env_raw, out)
    services: dict[str, Service] = {}
    defaults = {"image_tag": shape.project.image_tag, **shape.service_defaults}
    for service_name, service_raw in shape.services.items():
        resolved = merge_patch(defaults, service_raw)
        for layer in (overrides.get("*"), overrides.get(service_name)):
            if isinstance(layer, dict):
                resolved = merge_patch(resolved, layer)
        resolved["name"] = service_name
        try:
            services[service_name] = Service.model_validate(resolved)
        except ValidationError as error:
            out.add_validation(error, lambda loc, s=service_name: _service_source(located, env_name, s, loc))
    env_fields = {k: v for k, v in env_raw.items() if k not in ENVIRONMENT_ONLY_KEYS}
    try:
        environment = Environment.model_validate(
            {**env_fields, "name": env_name, "project": shape.project.name, "services": {}})
    except ValidationError as error:
        out.add_validation(error, lambda loc: ("environments", env_name, *loc))
        return None
    return environment.model_copy(update={"services": services})


def _validate(path: Path, out: _Collector, text: str | None) -> Catalog | None:
    """Parse, check the shape, resolve each environment, then apply the rules; problems go to `out`.

    Returns None where problems leave nothing to check further.
    """
    try:
        located, yaml_problems = parse(read_text(path) if text is None else text)
    except Unreadable as error:
        out.add_yaml(error.problems)
        return None
    out.located = located
    out.add_yaml(yaml_problems)
    try:
        shape = _FileShape.model_validate(located.data)
    except ValidationError as error:
        out.add_validation(error, lambda loc: loc)
        return None

    environments = {name: env for name, raw in shape.environments.items()
                    if (env := _environment(shape, name, raw, located, out)) is not None}
    if out.problems:
        return None
    catalog = Catalog(source=out.file, project=shape.project, namespaces=shape.namespaces,
                      environments=environments)
    for finding in rules.check(catalog):
        path = finding.path
        if finding.env and path[0] == "services":
            path = _service_source(located, finding.env, path[1], path[2:])
        out.add(path, finding.message)
    return catalog
