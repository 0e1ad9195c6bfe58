"""Product code never imports kit.testing (the public test helpers): a demo or a panel must not need them."""

from __future__ import annotations

import ast
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent / "kit"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_product_module_imports_kit_testing() -> None:
    offenders = sorted(
        str(path.relative_to(KIT.parent))
        for path in KIT.rglob("*.py")
        if "testing" not in path.relative_to(KIT).parts[:1]
        and any(name == "kit.testing" or name.startswith("kit.testing.") for name in _imports(path))
    )
    assert offenders == []
