"""checkov over the committed gitops_out/: no failed check, and every skip is listed with its reason."""

from __future__ import annotations

import pytest
from checkov_support import CHECKOV, CONFIGS, failed_and_passed, skips_with_reasons


def test_skips_are_few_and_explained() -> None:
    assert 0 < len(skips_with_reasons(CONFIGS["kubernetes"], r"CKV2?_K8S_\d+")) <= 5


@pytest.mark.skipif(not CHECKOV.is_file(), reason=f"checkov not installed at {CHECKOV} (make test installs it)")
def test_checkov_reports_no_failed_check(checkov_scans) -> None:
    failed, passed = failed_and_passed(checkov_scans["kubernetes"])
    assert not failed, "\n".join(failed)
    assert passed > 1000, "checkov scanned little"
