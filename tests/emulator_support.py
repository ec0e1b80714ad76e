"""The in-process AWS emulator (moto) as the verify and rehearsal tests use it: an account that is the
environment's, with fake keys and nothing else to reach, and verify's own client factory for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from moto import mock_aws

from catalog import Environment
from operations import verify_aws


@contextlib.contextmanager
def emulated_account(env: Environment, monkeypatch: pytest.MonkeyPatch) -> Iterator[verify_aws.Client]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "MOTO_ACCOUNT_ID": env.account_id}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield verify_aws.connect(env, None)
