"""The Terraform side of a diff: each stack's resources, data sources, outputs, providers and backend by
address, compared between the two revisions' synthesized JSON (cdktf's `//` metadata left out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from preview.changes import Change, changes, field_changes

__all__ = ["stack_changes", "stack_documents", "strip_metadata"]


def strip_metadata(node: Any) -> Any:
    """The stack JSON without cdktf's `//` metadata (construct paths, versions), which is no argument."""
    if isinstance(node, dict):
        return {key: strip_metadata(value) for key, value in node.items() if key != "//"}
    if isinstance(node, list):
        return [strip_metadata(value) for value in node]
    return node


def stack_documents(stack_json: Path) -> dict[str, Any]:
    """address -> its arguments: `type.name`, `data.type.name`, `output.name`, `provider.name`, `terraform`."""
    if not stack_json.is_file():
        return {}
    data = strip_metadata(json.loads(stack_json.read_text(encoding="utf-8")))
    documents: dict[str, Any] = {}
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for type_, blocks in data.get(kind, {}).items():
            documents |= {f"{prefix}{type_}.{name}": body for name, body in blocks.items()}
    documents |= {f"output.{name}": body for name, body in data.get("output", {}).items()}
    documents |= {f"provider.{name}": body for name, body in data.get("provider", {}).items()}
    if "terraform" in data:
        documents["terraform"] = data["terraform"]
    return documents


def stack_changes(before: Path, after: Path, *, env: str, stack: str) -> list[Change]:
    """Every address of one stack added, removed or changed between two cdktf.out folders."""
    old = stack_documents(before / "stacks" / stack / "cdk.tf.json")
    new = stack_documents(after / "stacks" / stack / "cdk.tf.json")
    return [Change("terraform", env, stack, action, address,
                   field_changes(old[address], new[address]) if action == "changed" else "")
            for action, address in changes(old, new)]
