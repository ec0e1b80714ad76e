"""The shell commands of a Markdown page (its ```sh blocks), and the AWS CLI calls among them checked against
botocore's service models, which the AWS CLI's commands and options are generated from."""

from __future__ import annotations

import functools
import re
import shlex
from typing import NamedTuple

import botocore.session
from botocore import xform_name

__all__ = ["AwsCall", "aws_calls", "problems", "shell_commands"]

FENCE = re.compile(r"```sh\n(.*?)```", re.S)
# A command quoted in running text: `aws ...` or `kubectl ...`, possibly wrapped across lines.
INLINE = re.compile(r"(?<!`)`((?:aws|kubectl) [^`]+)`(?!`)")
AWS = re.compile(r"(?:^|\s|\$\()aws\s")
GLOBAL_OPTIONS = {"region", "query", "output", "profile", "endpoint-url", "no-cli-pager"}
# Commands the AWS CLI adds beside the API's operations, with their options (AWS CLI command reference).
CUSTOMIZATIONS = {
    ("eks", "update-kubeconfig"): {"name", "kubeconfig", "role-arn", "dry-run", "verbose", "alias", "user-alias"},
    ("logs", "tail"): {"since", "follow", "format", "filter-pattern", "log-stream-names", "log-stream-name-prefix"},
    ("s3", "ls"): {"recursive", "human-readable", "summarize"},
}


class AwsCall(NamedTuple):
    """`aws <service> <command> [wait name] --option value...`; a list value's words are joined by spaces."""

    service: str
    command: str
    waiter: str | None
    options: dict[str, str | None]

    def __str__(self) -> str:
        return " ".join(["aws", self.service, self.command, *([self.waiter] if self.waiter else [])])


def shell_commands(markdown: str) -> list[str]:
    """Every command line of the page's sh blocks (continuation lines joined), and every command quoted in
    its text."""
    blocks = [line.strip() for block in FENCE.findall(markdown)
              for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return blocks + [" ".join(command.split()) for command in INLINE.findall(FENCE.sub("", markdown))]


def aws_calls(markdown: str) -> list[AwsCall]:
    calls = []
    for command in shell_commands(markdown):
        for match in AWS.finditer(command):
            text = command[match.end():]
            if match.group().startswith("$("):
                text = text[:text.rindex(")")]
            service, name, *rest = shlex.split(text, comments=True)
            waiter = rest.pop(0) if name == "wait" else None
            options: dict[str, str | None] = {}
            option = None
            for token in rest:
                if token.startswith("--"):
                    option = token[2:]
                    options[option] = None
                elif option:
                    options[option] = token if options[option] is None else f"{options[option]} {token}"
            calls.append(AwsCall(service, name, waiter, options))
    return calls


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def problems(call: AwsCall) -> list[str]:
    """What the AWS CLI would refuse: an unknown command, waiter or option, a missing required option."""
    given = set(call.options) - GLOBAL_OPTIONS
    if (call.service, call.command) in CUSTOMIZATIONS:
        return [f"{call}: no option --{name}" for name in sorted(given - CUSTOMIZATIONS[call.service, call.command])]
    model = _session().get_service_model(call.service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    if call.waiter:
        waiters = _session().get_waiter_model(call.service)
        names = {xform_name(name, "-"): name for name in waiters.waiter_names}
        if call.waiter not in names:
            return [f"{call}: no such waiter"]
        operation = waiters.get_waiter(names[call.waiter]).operation
    elif call.command in operations:
        operation = operations[call.command]
    else:
        return [f"{call}: no such command"]
    shape = model.operation_model(operation).input_shape
    members = {xform_name(name, "-"): member for name, member in shape.members.items()} if shape else {}
    found = []
    for name in sorted(given):
        positive = name.removeprefix("no-")
        if name not in members and not (positive in members and members[positive].type_name == "boolean"):
            found.append(f"{call}: no option --{name}")
    required = {xform_name(name, "-") for name in (shape.required_members if shape else ())}
    found += [f"{call}: --{name} is required" for name in sorted(required - given)]
    return found
