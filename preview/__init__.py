"""What a change does, before it is merged: every Kubernetes/Argo CD object and every Terraform resource and
output that a catalog or code change adds, removes or changes, against a git revision (`main.py diff`)."""

from preview.compare import compare
from preview.report import markdown, summary, text
from preview.revision import RevisionError

__all__ = ["RevisionError", "compare", "markdown", "summary", "text"]
