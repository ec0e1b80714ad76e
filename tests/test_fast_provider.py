"""speedups/provider/: same bytes as the normal import, safe fallback, sane cache.

The end-to-end tests run a small real stack (38 resources from 13 provider submodules) in
subprocesses, because the fast path changes how a fresh interpreter and jsii kernel load the
provider. No timing assertions here: speed is measured by bench/benchmark.py.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from speedups import provider as fast_provider
from speedups.provider import cache, finder, layout, repack

ROOT = Path(__file__).resolve().parent.parent
ALL_SUBMODULES = 2123  # resource/data-source modules the shipped __init__ imports eagerly

STACK_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
mode = sys.argv[3]
from speedups import provider as fast_provider
if mode == "bad-kernel":  # a direct kernel entry that dies at once: jsii's own entry must take over
    import pathlib
    broken = pathlib.Path(sys.argv[1]).parent / "broken-kernel"  # in the test's tmp_path
    (broken / "bin").mkdir(parents=True, exist_ok=True)
    (broken / "bin" / "jsii-runtime.js").write_text("process.exit(3);")
    import speedups.provider.kernel as kernel
    kernel.runtime_entry = lambda: broken
fast_provider.enable()

from cdktf import App, TerraformStack
import cdktf_cdktf_provider_aws as aws
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws import s3_bucket_server_side_encryption_configuration as sse
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.eks_cluster import EksCluster, EksClusterVpcConfig


class Demo(TerraformStack):
    def __init__(self, scope, name):
        super().__init__(scope, name)
        AwsProvider(self, "aws", region="eu-west-1", default_tags=[{"tags": {"app": "demo"}}])
        vpc = Vpc(self, "vpc", cidr_block="10.0.0.0/16", enable_dns_hostnames=True, tags={"Name": name})
        InternetGateway(self, "igw", vpc_id=vpc.id)
        subnets = [
            Subnet(self, f"subnet-{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24",
                   availability_zone=f"eu-west-1{'abc'[i]}")
            for i in range(3)
        ]
        key = KmsKey(self, "key", enable_key_rotation=True, description="demo")
        sg = SecurityGroup(self, "db-sg", vpc_id=vpc.id, ingress=[SecurityGroupIngress(
            from_port=5432, to_port=5432, protocol="tcp", cidr_blocks=[vpc.cidr_block])])
        role = IamRole(self, "cluster-role", name=f"{name}-eks",
                       assume_role_policy='{"Version":"2012-10-17","Statement":[]}')
        for n, policy in enumerate(["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"]):
            IamRolePolicyAttachment(self, f"att-{n}", role=role.name,
                                    policy_arn=f"arn:aws:iam::aws:policy/{policy}")
        EksCluster(self, "eks", name=name, role_arn=role.arn,
                   vpc_config=EksClusterVpcConfig(subnet_ids=[s.id for s in subnets]))
        for b in range(12):
            bucket = S3Bucket(self, f"bucket-{b}", bucket=f"{name}-bucket-{b}")
            sse.S3BucketServerSideEncryptionConfigurationA(self, f"sse-{b}", bucket=bucket.id, rule=[
                sse.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        sse.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms", kms_master_key_id=key.arn)))])
        group = DbSubnetGroup(self, "dbsg", subnet_ids=[s.id for s in subnets])
        DbInstance(self, "db", engine="postgres", instance_class="db.t3.micro", allocated_storage=20,
                   db_subnet_group_name=group.name, vpc_security_group_ids=[sg.id],
                   storage_encrypted=True, kms_key_id=key.arn, multi_az=True)
        # attribute access through the package root (the PEP 562 path of the fast loader)
        aws.cloudwatch_log_group.CloudwatchLogGroup(self, "logs", name=f"/demo/{name}", retention_in_days=30)


app = App(outdir=sys.argv[1])
Demo(app, "demo")
app.synth()

# the Kubernetes side goes through the same kernel and bindings
import pathlib
from cdk8s import ApiObject, App as K8sApp, Chart, JsonPatch
k8s = K8sApp()
chart = Chart(k8s, "demo", disable_resource_name_hashes=True)
for n in range(5):
    obj = ApiObject(chart, f"cm-{n}", api_version="v1", kind="ConfigMap", metadata={"name": f"cm-{n}"})
    obj.add_json_patch(JsonPatch.add("/data", {"n": str(n), "multi": "a\nb"}))
pathlib.Path(sys.argv[1], "k8s.json").write_text(json.dumps(chart.to_json(), sort_keys=True))

# A type the kernel may hand back from a module nobody imported: jsii must find its class.
from jsii import _reference_map, _runtime as jsii_runtime
resolved = _reference_map._try_import_type_module("@cdktf/provider-aws.s3ControlBucket.S3ControlBucket")
print(json.dumps({
    "enabled": fast_provider.is_enabled(),
    "loaded": sum(1 for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws.") and m.count(".") == 1
                  and not m.startswith("cdktf_cdktf_provider_aws._")),
    "lazily_resolved": resolved and "@cdktf/provider-aws.s3ControlBucket.S3ControlBucket" in _reference_map._types,
    "direct_kernel": any("jsii-runtime-" in a for a in jsii_runtime.kernel.provider._process._process.args),
    "unchecked": type(sys.modules["cdktf"].__spec__.loader).__name__ == "UncheckedLoader",
}))
"""


def _synth(tmp_path: Path, mode: str, extra_env: dict[str, str] | None = None) -> tuple[dict, dict[str, bytes], str]:
    script = tmp_path / "stack.py"
    script.write_text(STACK_SCRIPT, encoding="utf-8")
    out = tmp_path / f"out-{mode}-{len(list(tmp_path.glob('out-*')))}"
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **(extra_env or {})}
    env.pop("PAYLEDGER_FAST_PROVIDER", None)
    result = subprocess.run(
        [sys.executable, str(script), str(out), str(ROOT), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return json.loads(result.stdout.strip().splitlines()[-1]), files, result.stderr


def test_the_fast_path_is_really_taken(tmp_path: Path) -> None:
    """Lazy modules, FQN resolution, the direct kernel and unchecked bindings are all in use. That the
    output equals the slow path's is proven on the six real stacks by tests/test_slow_path.py."""
    info, files, err = _synth(tmp_path, "fast")
    expected = {"enabled": True, "lazily_resolved": True, "direct_kernel": True, "unchecked": True}
    assert info == {**expected, "loaded": info["loaded"]}
    assert info["loaded"] < 30, "the fast path imported more provider modules than the stack uses"
    assert "fast provider loading disabled" not in err
    resources = json.loads(files["stacks/demo/cdk.tf.json"])["resource"]
    assert sum(len(r) for r in resources.values()) == 38
    assert len(json.loads(files["k8s.json"])) == 5


def test_a_direct_kernel_that_does_not_start_falls_back_to_jsiis_entry(tmp_path: Path) -> None:
    info, files, err = _synth(tmp_path, "bad-kernel")
    reference = _synth(tmp_path, "fast")[1]
    assert info["enabled"] is True and info["direct_kernel"] is False
    warnings = [line for line in err.splitlines() if "fast provider loading disabled" in line]
    assert len(warnings) == 1 and "direct kernel did not start" in warnings[0]
    assert "Exception ignored" not in err, "the failed kernel's exit hook still ran"
    assert files == reference


def test_a_tarball_the_kernel_refuses_falls_back_to_the_shipped_one(tmp_path: Path) -> None:
    """A damaged cached tarball: one warning, the shipped tarball is loaded, same bytes."""
    versions = {d: importlib.metadata.version(d) for d in (layout.DIST, "jsii", "cdktf")}
    cache_home = tmp_path / "cache"
    entry = (
        cache_home
        / "payledger-infra"
        / "fast-provider"
        / (
            f"provider-aws-{versions[layout.DIST]}_jsii-{versions['jsii']}_cdktf-{versions['cdktf']}"
            f"_f{cache.FORMAT}"
        )
    )
    entry.mkdir(parents=True)
    (entry / "package.tgz").write_bytes(b"\x1f\x8b not really gzip")
    (entry / "meta.json").write_text("{}")
    (entry / "fqn-map.json").write_text(
        json.dumps({"@cdktf/provider-aws.s3ControlBucket": "cdktf_cdktf_provider_aws.s3_control_bucket"})
    )
    info, files, err = _synth(tmp_path, "fast", {"XDG_CACHE_HOME": str(cache_home)})
    reference = _synth(tmp_path, "fast")[1]
    assert info["enabled"] is True and info["lazily_resolved"] is True
    warnings = [line for line in err.splitlines() if "fast provider loading disabled" in line]
    assert len(warnings) == 1 and "kernel refused" in warnings[0]
    assert files == reference


# --------------------------------------------------------------------------- fallback


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """enable() may run in this process without leaving a finder behind; cache goes to tmp."""
    monkeypatch.setattr(fast_provider, "_enabled", False)
    # without a finder an earlier in-process enable() (main.synth in other tests) left behind
    kept = [f for f in sys.meta_path if not isinstance(f, finder.ProviderFinder)]
    monkeypatch.setattr(sys, "meta_path", kept)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PAYLEDGER_FAST_PROVIDER", raising=False)
    monkeypatch.delitem(sys.modules, layout.PACKAGE, raising=False)  # restored afterwards
    return tmp_path


def _installed() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(layout.PACKAGE)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def _fake_package(root: Path, *, init: str | None = None, jsii_init: str | None = None) -> Path:
    """A copy of the installed package's two top-level files (optionally mutated) and a tiny tarball."""
    installed = _installed()
    package = root / "site" / layout.PACKAGE
    (package / "_jsii").mkdir(parents=True)
    (package / "__init__.py").write_text(
        init if init is not None else (installed / "__init__.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (package / "_jsii" / "__init__.py").write_text(
        jsii_init if jsii_init is not None else (installed / "_jsii" / "__init__.py").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    index_js = root / "index.js"
    index_js.write_text('"use strict";\nexports.vpc = require("./vpc");\nconsole.log("surprise");\n')
    with tarfile.open(package / "_jsii" / "provider-aws@19.65.1.jsii.tgz", "w:gz") as tar:
        tar.add(index_js, "package/lib/index.js")
    return package.parent


def _enable_against(site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.syspath_prepend(str(site))
    before = list(sys.meta_path)
    fast_provider.enable()
    assert not fast_provider.is_enabled()
    assert sys.meta_path == before, "a finder was installed although the layout was refused"
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("warning: fast provider loading disabled:")
    return err


def test_unexpected_init_shape_falls_back_with_one_warning(isolated, monkeypatch, capsys) -> None:
    init = (_installed() / "__init__.py").read_text(encoding="utf-8") + "\nprint('extra statement')\n"
    err = _enable_against(_fake_package(isolated, init=init), monkeypatch, capsys)
    assert "unexpected line" in err


def test_version_mismatch_falls_back_with_one_warning(isolated, monkeypatch, capsys) -> None:
    jsii_init = (_installed() / "_jsii" / "__init__.py").read_text(encoding="utf-8").replace("19.65.1", "19.0.0")
    err = _enable_against(_fake_package(isolated, jsii_init=jsii_init), monkeypatch, capsys)
    assert "19.0.0" in err


def test_missing_tarball_falls_back_with_one_warning(isolated, monkeypatch, capsys) -> None:
    site = _fake_package(isolated)
    next((site / layout.PACKAGE / "_jsii").glob("*.tgz")).unlink()
    assert "missing" in _enable_against(site, monkeypatch, capsys)


def test_unexpected_js_index_falls_back_and_leaks_no_temp_dir(isolated, monkeypatch, capsys) -> None:
    err = _enable_against(_fake_package(isolated), monkeypatch, capsys)
    assert "console.log" in err
    root = cache.cache_root()
    assert root.is_relative_to(isolated / "cache")
    assert list(root.iterdir()) == [], "a failed build left something in the cache"


def test_enable_after_the_provider_was_imported_only_warns(monkeypatch, capsys) -> None:
    monkeypatch.setattr(fast_provider, "_enabled", False)
    monkeypatch.setitem(sys.modules, layout.PACKAGE, object())
    monkeypatch.delenv("PAYLEDGER_FAST_PROVIDER", raising=False)
    fast_provider.enable()
    assert not fast_provider.is_enabled()
    assert len(capsys.readouterr().err.splitlines()) == 1


# --------------------------------------------------------------------------- cache


def test_cache_entry_is_built_once_per_version_key(isolated, monkeypatch) -> None:
    builds: list[Path] = []

    def fake_repack(shipped: Path, target: Path, submodules: set[str]) -> dict[str, str]:
        builds.append(target)
        target.write_bytes(b"tgz")
        return {"@cdktf/provider-aws.vpc": "cdktf_cdktf_provider_aws.vpc"}

    monkeypatch.setattr(repack, "repack", fake_repack)
    versions = {layout.DIST: "19.65.1", "jsii": "1.142.0", "cdktf": "0.20.12"}
    first = cache.cache_entry(versions, Path("shipped.tgz"), ["vpc"])
    again = cache.cache_entry(versions, Path("shipped.tgz"), ["vpc"])
    other = cache.cache_entry({**versions, "jsii": "1.143.0"}, Path("shipped.tgz"), ["vpc"])
    assert first == again != other and len(builds) == 2
    assert all(v in first.name for v in versions.values())
    assert (first / "package.tgz").read_bytes() == b"tgz"
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([first.name, other.name])


def test_damaged_entry_is_rebuilt(isolated, monkeypatch) -> None:
    versions = {layout.DIST: "19.65.1", "jsii": "1.142.0", "cdktf": "0.20.12"}
    monkeypatch.setattr(repack, "repack", lambda shipped, target, subs: target.write_bytes(b"new") and {})
    entry = cache.cache_entry(versions, Path("shipped.tgz"), [])
    (entry / "package.tgz").unlink()  # someone cleaned up by hand
    assert cache.cache_entry(versions, Path("shipped.tgz"), []) == entry
    assert (entry / "package.tgz").read_bytes() == b"new"
    assert [p.name for p in entry.parent.iterdir()] == [entry.name], "temp dir leaked"


def test_concurrent_build_loses_the_rename_race_gracefully(isolated, monkeypatch) -> None:
    versions = {layout.DIST: "19.65.1", "jsii": "1.142.0", "cdktf": "0.20.12"}
    winner = cache.cache_root() / (f"provider-aws-19.65.1_jsii-1.142.0_cdktf-0.20.12_f{cache.FORMAT}")

    def racing_repack(shipped: Path, target: Path, submodules: set[str]) -> dict[str, str]:
        # another process publishes its complete entry while this one is still building
        winner.mkdir(parents=True)
        for name in ("package.tgz", "fqn-map.json", "meta.json"):
            (winner / name).write_text("{}" if name.endswith(".json") else "theirs")
        target.write_bytes(b"ours")
        return {}

    monkeypatch.setattr(repack, "repack", racing_repack)
    entry = cache.cache_entry(versions, Path("shipped.tgz"), [])
    assert entry == winner and (entry / "package.tgz").read_text() == "theirs"
    assert [p.name for p in entry.parent.iterdir()] == [winner.name], "temp dir leaked"


# --------------------------------------------------------------------------- transformations


def test_installed_init_passes_the_shape_check() -> None:
    source = (_installed() / "__init__.py").read_text(encoding="utf-8")
    submodules = layout.check_root_source(source)
    assert len(submodules) == ALL_SUBMODULES and "vpc" in submodules


def test_lazy_index_maps_js_names_onto_python_modules() -> None:
    source = (
        '"use strict";\n/**\n * header\n */\nObject.defineProperty(exports, "__esModule", { value: true });\n'
        "exports.vpc = exports.s3ControlBucket = void 0;\n"
        '// generated by cdktf get\nexports.s3ControlBucket = require("./s3control-bucket");\n'
        'exports.wafv2IpSet = require("./wafv2-ip-set");\nexports.vpc = require("./vpc");\n'
    )
    code, fqn_map = repack.lazy_index(source, {"s3_control_bucket", "wafv2_ip_set", "vpc"})
    assert fqn_map == {
        "@cdktf/provider-aws.s3ControlBucket": "cdktf_cdktf_provider_aws.s3_control_bucket",
        "@cdktf/provider-aws.wafv2IpSet": "cdktf_cdktf_provider_aws.wafv2_ip_set",
        "@cdktf/provider-aws.vpc": "cdktf_cdktf_provider_aws.vpc",
    }
    assert b'lazy("s3ControlBucket", "./s3control-bucket");' in code
    assert b"require(path)" in code and b'require("./vpc")' not in code
    with pytest.raises(layout.LayoutError):
        repack.lazy_index(source, {"s3_control_bucket", "vpc"})  # a Python module without JS


# --------------------------------------------------------------------------- unchecked bindings


def test_bindings_are_compiled_without_debug_checks_and_cached(isolated) -> None:
    source = isolated / "binding.py"
    source.write_text("checked = []\nif __debug__:\n    checked.append(1)\nassert False, 'asserts go too'\n")
    loader = finder.UncheckedLoader("cdktf.fake_binding", str(source))
    namespace: dict = {}
    exec(loader.get_code("cdktf.fake_binding"), namespace)
    assert namespace["checked"] == []
    cached = list(finder.bytecode_dir().iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("cdktf.fake_binding-")

    exec(loader.get_code("cdktf.fake_binding"), namespace)  # served from the cache file
    assert list(finder.bytecode_dir().iterdir()) == cached

    source.write_text("checked = ['changed']\n")  # a changed source gets its own entry
    os.utime(source, ns=(1, 1))
    exec(loader.get_code("cdktf.fake_binding"), namespace)
    assert namespace["checked"] == ["changed"]
    assert len(list(finder.bytecode_dir().iterdir())) == 2


def test_only_jsii_binding_packages_are_compiled_unchecked(monkeypatch) -> None:
    provider_finder = finder.ProviderFinder(layout.Prepared(Path("/nonexistent"), "", "", {}))
    assert provider_finder.find_spec("yaml") is None and provider_finder.find_spec("catalog") is None
    spec = provider_finder.find_spec("constructs")
    assert spec is not None and isinstance(spec.loader, finder.UncheckedLoader)
