"""The typed PayLedger catalog: the one description every output is derived from."""

from catalog.loader import CatalogError, Problem, load_catalog
from catalog.models import Catalog, Environment, Service

__all__ = ["Catalog", "CatalogError", "Environment", "Problem", "Service", "load_catalog"]
