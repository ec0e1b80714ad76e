"""Check the Helm values an add-on sets, in every environment, against its chart's own source.

    python tools/check_chart_values.py ADDON CHART_DIR [--subchart KEY=DIR]... [--crd-dir DIR]

ADDON is an add-on's Application name (k8s_charts.addons.ADDONS); CHART_DIR holds the chart's source at
the pinned version: Chart.yaml, values.yaml and, where the chart has one, values.schema.json (extract
it from the chart's repository with `git archive <tag> <chart path> | tar -x`). `--subchart grafana=DIR`
checks the values under `grafana` against a dependency chart's source as well. `--crd-dir` validates
the committed gitops_out/ objects of every kind whose CRD the folder holds (e.g. the CRDs a chart
installs) strictly, as `main.py validate` does with ../shared/crds.

Reported, for each key path the platform sets (per environment, merged into the chart's defaults as
Helm merges them):
- a key that is not in values.yaml, not declared by the schema and not below a map the schema leaves
  open or FREE_FORM lists (a typo, or a key the chart renamed or dropped);
- without a schema: a map where the chart's default is a scalar or a list, or the reverse;
- every error of the schema against the merged values (Helm refuses to install on those);
- a Chart.yaml whose name or version is not the pin.
Lists are leaves: their items are Kubernetes objects or chart-specific lists the chart passes through.

A developer tool, not a test: it needs upstream chart sources, which are not committed and which CI
cannot download. Exit 0 when clean, 1 with findings, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog import load_catalog  # noqa: E402  (the checkout, not an installed copy)

Path_ = tuple[str, ...]

# Maps each chart's values.yaml shows empty (or with an example) and documents as passed through to a
# Kubernetes object or a config file, so any key below them is the chart's intent. Only needed where
# the chart has no schema saying so; `*` matches one key.
FREE_FORM: dict[str, dict[Path_, str]] = {
    "alloy": {
        ("alloy", "resources"): "the Alloy container's resources, copied into its spec",
        ("alloy", "securityContext"): "the Alloy container's security context, copied into its spec",
        ("configReloader", "resources"): "the config reloader container's resources, copied into its spec",
        ("global", "podSecurityContext"): "the pod's security context, copied into the pod spec",
    },
    "argo-cd": {
        ("*", "resources"): "container resources, copied into the pod spec",
        ("configs", "cm"): "every key becomes an argocd-cm entry",
        ("configs", "params"): "every key becomes an argocd-cmd-params-cm entry",
    },
    "kube-prometheus-stack": {
        ("*", "*", "resources"): "container resources of Prometheus and Alertmanager, copied into their specs",
        ("prometheusOperator", "resources"): "the operator's container resources, copied into its pod spec",
        ("prometheus", "prometheusSpec", "storageSpec"): "a StorageSpec, copied into the Prometheus object",
        ("alertmanager", "alertmanagerSpec", "storage"): "a StorageSpec, copied into the Alertmanager object",
    },
    "grafana": {
        ("resources",): "container resources, copied into the pod spec",
        ("sidecar", "resources"): "resources of each sidecar container, copied into its spec",
    },
    "kube-state-metrics": {
        ("resources",): "container resources, copied into the pod spec",
    },
    "prometheus-node-exporter": {
        ("resources",): "container resources, copied into the DaemonSet's pod spec",
    },
    "tempo": {
        ("tempo", "resources"): "container resources, copied into the pod spec",
        ("tempo", "storage"): "Tempo's storage block, written into tempo.yaml as given",
        ("tempo", "receivers"): "the distributor's receivers, written into tempo.yaml as given",
        ("serviceAccount", "annotations"): "ServiceAccount annotations",
    },
}


class Checker:
    """One chart's defaults, schema and free-form paths, and the findings for values checked against them."""

    def __init__(self, chart_dir: Path, subcharts: Mapping[str, Path]) -> None:
        self.meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
        self.defaults = yaml.safe_load((chart_dir / "values.yaml").read_text()) or {}
        schema_file = chart_dir / "values.schema.json"
        self.schema = yaml.safe_load(schema_file.read_text()) if schema_file.is_file() else None
        self.free = FREE_FORM.get(self.meta["name"], {})
        self.subcharts = {key: Checker(folder, {}) for key, folder in subcharts.items()}
        for key, sub in self.subcharts.items():
            # The parent's block for a dependency overrides the dependency's own defaults.
            sub.defaults = merge(sub.defaults, self.defaults.get(key) or {})
        self.checked: dict[Path_, str] = {}  # each key path set, and what accepts it

    def check(self, values: dict[str, Any]) -> list[str]:
        findings = list(self._walk(values, self.defaults, self.schema, ()))
        if self.schema is not None:
            validator = jsonschema.validators.validator_for(self.schema)(self.schema)
            for error in validator.iter_errors(merge(self.defaults, values)):
                findings.append(f"{_dotted(tuple(map(str, error.absolute_path))) or '(root)'}: schema: {error.message}")
        for key, sub in self.subcharts.items():
            if isinstance(values.get(key), dict):
                findings += [f"{key}.{finding}" for finding in sub.check(values[key])]
                self.checked |= {(key, *path): f"{sub.meta['name']} {how}" for path, how in sub.checked.items()}
        return findings

    def _walk(self, ours: dict[str, Any], defaults: Any, schema: Any, path: Path_) -> Iterator[str]:
        for key, value in ours.items():
            here = (*path, key)
            if not path and key in self.subcharts:
                continue
            child = _property(self.schema, schema, key)
            default = defaults.get(key) if isinstance(defaults, dict) else None
            known = isinstance(defaults, dict) and key in defaults
            if not known and child is None:
                yield f"{_dotted(here)}: not in values.yaml" + ("" if self.schema is None else " nor in the schema")
                continue
            self.checked[here] = "values.yaml" if known else "schema"
            if not isinstance(value, dict):
                if self.schema is None and isinstance(default, dict):
                    yield f"{_dotted(here)}: a {type(value).__name__} where the chart has a map"
                continue
            if self.schema is None and default is not None and not isinstance(default, dict):
                yield f"{_dotted(here)}: a map where the chart has a {type(default).__name__}"
                continue
            reason = self._free(here) or ("a map the schema leaves open" if _open(self.schema, child) else None)
            if reason:
                self.checked[here] += f", free-form below: {reason}"
                continue
            yield from self._walk(value, default if isinstance(default, dict) else {}, child, here)

    def _free(self, path: Path_) -> str | None:
        """Why FREE_FORM lets any key below `path`, or None."""
        for pattern, reason in self.free.items():
            if len(pattern) == len(path) and all(p in ("*", k) for p, k in zip(pattern, path, strict=True)):
                return reason
        return None


def merge(defaults: Any, values: Any) -> Any:
    """Helm's coalescing: maps merge key by key, anything else replaces, None removes the key."""
    if not (isinstance(defaults, dict) and isinstance(values, dict)):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge(defaults.get(key), value)
    return merged


def _resolve(root: Any, node: Any) -> Any:
    """Follow local `$ref`s ("#/$defs/...") to the schema they name."""
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _property(root: Any, schema: Any, key: str) -> Any:
    """The schema of `key` below `schema` if the schema declares it or leaves room for it, else None."""
    schema = _resolve(root, schema)
    if not isinstance(schema, dict):
        return None
    if key in schema.get("properties", {}):
        return _resolve(root, schema["properties"][key])
    for pattern, child in schema.get("patternProperties", {}).items():
        if re.search(pattern, key):
            return _resolve(root, child)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) or extra is True:
        return _resolve(root, extra) if isinstance(extra, dict) else {}
    return None


def _open(root: Any, schema: Any) -> bool:
    """An object schema that declares no properties and does not forbid others: a free-form map."""
    schema = _resolve(root, schema)
    return (isinstance(schema, dict) and not schema.get("properties") and not schema.get("patternProperties")
            and schema.get("additionalProperties") is not False)


def _dotted(path: Path_) -> str:
    return ".".join(f'"{key}"' if "." in key else key for key in path)


def _crd_findings(crd_dir: Path) -> list[str]:
    from validation.schemas import CrdSchemas

    crds = CrdSchemas(crd_dir)
    findings, checked = [], 0
    for file in sorted((ROOT / "gitops_out").rglob("*.yaml")):
        document = yaml.safe_load(file.read_text())
        errors = crds.errors(document) if isinstance(document, dict) and "kind" in document else None
        if errors is not None:
            checked += 1
            findings += [f"{file.relative_to(ROOT)}: {error}" for error in errors]
    print(f"{checked} committed objects validated against the CRDs in {crd_dir}", file=sys.stderr)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addon")
    parser.add_argument("chart_dir", type=Path)
    parser.add_argument("--subchart", action="append", default=[], metavar="KEY=DIR")
    parser.add_argument("--crd-dir", type=Path)
    parser.add_argument("--catalog", type=Path, default=ROOT / "platform.yaml")
    parser.add_argument("--verbose", action="store_true", help="list every key path and what accepts it")
    args = parser.parse_args(argv)
    from k8s_charts.addons import ADDONS

    if args.addon not in ADDONS or not (args.chart_dir / "values.yaml").is_file():
        parser.error(f"need an add-on of {', '.join(ADDONS)} and a chart folder with a values.yaml")
    addon = ADDONS[args.addon]
    subcharts = dict(item.split("=", 1) for item in args.subchart)
    checker = Checker(args.chart_dir, {key: Path(folder) for key, folder in subcharts.items()})
    findings: list[str] = []
    name, version = checker.meta["name"], str(checker.meta["version"])
    if version.lstrip("v") == "0.0.0":  # a source tree whose release process stamps the version
        print(f"{args.addon}: Chart.yaml carries no release version; {args.chart_dir} must be the tag of "
              f"{addon.version}", file=sys.stderr)
    elif (name, version) != (addon.chart, addon.version):
        findings.append(f"Chart.yaml is {name} {version}, the pin is {addon.chart} {addon.version}")
    catalog = load_catalog(args.catalog)
    by_finding: dict[str, list[str]] = {}
    for name, env in catalog.environments.items():
        for finding in checker.check(addon.values(env)):
            by_finding.setdefault(finding, []).append(name)
    findings += [f"{finding} [{', '.join(envs)}]" for finding, envs in by_finding.items()]
    if args.crd_dir:
        findings += _crd_findings(args.crd_dir)
    schema = "values.yaml and values.schema.json" if checker.schema is not None else "values.yaml (no schema)"
    dependencies = "".join(f" + {key} {sub.meta['version']}" for key, sub in checker.subcharts.items())
    if args.verbose:
        for path, how in sorted(checker.checked.items()):
            print(f"{args.addon}: {_dotted(path)}: {how}", file=sys.stderr)
    for finding in findings:
        print(f"{args.addon}: {finding}")
    print(f"{args.addon}: {addon.chart} {addon.version} against {schema}{dependencies}: "
          f"{len(checker.checked)} key paths in {len(catalog.environments)} environments, {len(findings)} findings",
          file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
