"""cdk8s side: per-environment Kubernetes and Argo CD objects for gitops_out/."""

from k8s_charts.platform import bootstrap_path, bootstrap_values, build_environment, manifests_by_folder

__all__ = ["bootstrap_path", "bootstrap_values", "build_environment", "manifests_by_folder"]
