# Two commands on a fresh machine with Python 3.11+ and Node.js 20+: `make synth` and `make test`.
# Each creates the virtualenvs on first use and reinstalls when the pins change.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
REHEARSAL_VENV := .venv-rehearsal
ENV ?= dev
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: synth test check validate policy lint bench rehearse proof snapshots provider-mirror clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-policy.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-policy.txt
	@touch $@

$(REHEARSAL_VENV)/.installed: requirements-rehearsal.txt
	@test -x $(REHEARSAL_VENV)/bin/python || $(PYTHON) -m venv $(REHEARSAL_VENV)
	$(REHEARSAL_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-rehearsal.txt
	@touch $@

synth: $(VENV)/.installed
	$(PY) main.py synth

# Once per machine, outside the test run: Mermaid's parser for the diagrams of docs/generated/, and the fast
# provider's repacked tarball (speedups/provider; ~5 s the first time, then a cache hit).
test: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) tests/mermaid_support.py
	$(PY) -c "import speedups.provider as fast; fast.enable()"
	$(PY) -m pytest

check: $(VENV)/.installed
	$(PY) main.py check

# Custom resources are checked against the shared CRD schemas where that folder is beside the checkout.
CRD_DIR := ../shared/crds
validate: $(VENV)/.installed
	$(PY) main.py validate $(if $(wildcard $(CRD_DIR)),--crd-dir $(CRD_DIR))

policy: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) main.py synth --only terraform
	$(CHECKOV_VENV)/bin/checkov -d cdktf.out --framework terraform_json --skip-download --quiet \
		--config-file policy/checkov-terraform.yaml
	$(CHECKOV_VENV)/bin/checkov -d gitops_out --framework kubernetes --skip-download --quiet \
		--config-file policy/checkov-kubernetes.yaml

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed
	$(PY) bench/benchmark.py

# Apply, re-plan, prove and destroy against a local AWS emulator: ENV=dev (default), staging, prod or all.
rehearse: $(VENV)/.installed $(REHEARSAL_VENV)/.installed
	$(PY) -m rehearsal --env $(ENV)

# The suite follows the catalog: an extra environment and service in a copy, the unchanged suite passing.
proof: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) tests/grow_catalog.py

# Terraform snapshots are committed output: regenerate after a catalog change, review, commit.
snapshots: $(VENV)/.installed
	$(PY) -m pytest tests/test_infra_stacks.py -k test_snapshot --snapshot-update

# The hashicorp/aws filesystem mirror the Terraform tests and the rehearsal read (TF_PLUGIN_MIRROR), made
# from the registry on a machine that has none (a CI runner); the version the development machines have.
TF_PLUGIN_MIRROR ?= /opt/tf-plugins
AWS_PROVIDER_VERSION := 5.100.0
provider-mirror:
	@if [ -d "$(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws/$(AWS_PROVIDER_VERSION)" ]; then \
		echo "$(TF_PLUGIN_MIRROR): hashicorp/aws $(AWS_PROVIDER_VERSION) present"; \
	else \
		config=$$(mktemp -d) && \
		printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "%s" }\n  }\n}\n' \
			"$(AWS_PROVIDER_VERSION)" > "$$config/main.tf" && \
		terraform -chdir="$$config" providers mirror -platform=linux_amd64 "$(TF_PLUGIN_MIRROR)" && rm -rf "$$config"; \
	fi

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(REHEARSAL_VENV) cdktf.out
