"""The smart-city schemes' models, one module per scheme."""

from .menu import Package, PackageEvent, PackageEventKind, PackageLine, PackageState, UnitCost  # noqa: F401
