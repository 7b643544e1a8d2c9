"""Layering hygiene: the domain and hardware layers never pull in Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["domain", "hardware"])
def test_package_imports_without_textual(package: str) -> None:
    """Importing every module of the package leaves `textual` out of sys.modules."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print('LEAK' if bad else 'CLEAN')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("CLEAN"), out.stdout + out.stderr


def test_views_import_without_sqlalchemy() -> None:
    """domain.views (what the screens receive) imports no SQLAlchemy, even indirectly."""
    code = (
        "import sys\n"
        "import domain.views.audit, domain.views.engineering, domain.views.items\n"
        "print('LEAK' if 'sqlalchemy' in sys.modules else 'CLEAN')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("CLEAN"), out.stdout + out.stderr


@pytest.mark.parametrize(
    ("importer", "imported"),
    [("kiosk.shift", "kiosk.app"), ("screens.audit.entry", "screens.audit.browser")],
)
def test_no_hidden_import_cycle(importer: str, imported: str) -> None:
    """The shift does not import the app (it names what it needs as ShiftHost), and the
    audit entry screen does not import the browser (the history is handed to it): neither
    directly, nor under TYPE_CHECKING, nor inside a function."""
    import grimp

    graph = grimp.build_graph("kiosk", "screens", "domain", "hardware")
    assert graph.find_shortest_chain(importer=importer, imported=imported) is None
