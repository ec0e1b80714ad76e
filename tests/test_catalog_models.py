"""Catalog models behave as values: a copied environment never carries facts derived from its original."""

from __future__ import annotations


def test_a_copy_with_other_services_has_its_own_callers(catalog) -> None:
    prod = next(iter(catalog.environments.values()))
    callee = next(name for name, callers in prod.callers.items() if callers)
    caller = prod.callers[callee][0].name
    services = {name: service for name, service in prod.services.items() if name != caller}
    copy = prod.model_copy(update={"services": services})
    assert caller in [service.name for service in prod.callers[callee]]
    assert caller not in [service.name for service in copy.callers[callee]]
