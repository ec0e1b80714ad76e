"""The Kubernetes side of a diff: gitops_out/<env> at the base revision against what synth makes now.

Each file holds one object; an object is known by kind, namespace and name, so a file that moves is
still the same object. A file that is no Kubernetes object (the bootstrap values) is known by its path.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from preview.changes import Change, changes, unified

__all__ = ["object_changes"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _objects(files: Mapping[str, bytes], env: str) -> dict[str, tuple[str, str]]:
    """subject -> (path, text) for every file of `env` (paths are `<env>/...`)."""
    found: dict[str, tuple[str, str]] = {}
    for path, content in files.items():
        if not path.startswith(f"{env}/"):
            continue
        text = content.decode("utf-8")
        body = yaml.load(text, Loader=_Loader)
        if isinstance(body, dict) and {"kind", "metadata"} <= body.keys():
            metadata = body["metadata"]
            namespace = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
            subject = f"{body['kind']} {namespace}{metadata.get('name')}"
        else:
            subject = path.removeprefix(f"{env}/")
        found[subject] = (path, text)
    return found


def object_changes(before: Mapping[str, bytes], after: Mapping[str, bytes], env: str) -> list[Change]:
    """Every object of `env` added, removed or changed; a changed one with the unified diff of its YAML."""
    old, new = _objects(before, env), _objects(after, env)
    found = []
    for action, subject in changes({k: text for k, (_, text) in old.items()},
                                   {k: text for k, (_, text) in new.items()}):
        path = (new if action == "added" else old)[subject][0]
        diff = unified(old[subject][1], new[subject][1], new[subject][0]) if action == "changed" else ""
        found.append(Change("kubernetes", env, path.split("/")[1], action, subject, diff))
    return found
