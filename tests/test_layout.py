"""The layout of docs/architecture.md, checked: imports follow the data flow, kernels stay one file per
subpackage and take few parameters, modules stay small, and the public API is what dedup exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dedup

PACKAGE = Path(dedup.__file__).parent
BASE = {"records", "config", "errors", "_check", "_jit", "_resources", "_blas", "_workers", "_memory"}
"""Top-level modules every part may import; they import only each other."""
CROSSING = {"__init__", "__main__", "pipeline", "cli", "commands", "plan", "evaluation"}
"""The modules (and the measuring subpackage) that may import from several subpackages."""
ALLOWED = {
    "io": {"text"}, "text": set(), "strip": {"text"}, "hashing": set(), "near": {"hashing"},
    "engines": {"io", "text", "strip", "hashing", "near", "pipeline"}, "spark": {"engines"},
}
"""For each subpackage, the other subpackages it may import (besides the base modules)."""
MAX_LINES = 400
LONGER = {"hashing/_kernels.py": "one kernel file: numba caches a kernel per file, so its callees stay with it"}
MAX_KERNEL_PARAMETERS = 7


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def part_of(path: Path) -> str:
    """The subpackage of a module, or its own name for a top-level module."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[str]:
    """The parts of dedup that ``path`` imports (at any depth of the file)."""
    parts: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "dedup":  # a part, or a name of the public API
            parts.update(a.name if is_part(a.name) else "__init__" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dedup."):
            parts.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            parts.update(a.name.split(".")[1] for a in node.names if a.name.startswith("dedup."))
    return parts


def is_part(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def jitted(tree: ast.Module) -> list[ast.FunctionDef]:
    def is_jit(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Name) and target.id == "jit"

    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and any(map(is_jit, n.decorator_list))]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_data_flow(path: Path) -> None:
    part = part_of(path)
    if part in CROSSING:
        return
    imported = imported_parts(path) - {part}
    if part in BASE:
        assert imported <= BASE, f"{part} imports {imported - BASE}: base modules import only each other"
        return
    assert part in ALLOWED, f"{part} is a new part of dedup: add it to docs/architecture.md and this test"
    wrong = imported - BASE - ALLOWED[part]
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)} against the flow of docs/architecture.md"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_kernels_live_in_one_file_per_subpackage_and_take_few_parameters(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kernels = jitted(tree)
    if path.name != "_kernels.py":
        assert not kernels, f"kernels outside a _kernels.py: {[k.name for k in kernels]}"
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.endswith("_kernels"), "a kernel file imports another kernel file"
            assert "_kernels" not in [a.name for a in node.names], "a kernel file imports another kernel file"
    for kernel in kernels:
        count = len(kernel.args.args) + len(kernel.args.kwonlyargs)
        assert count <= MAX_KERNEL_PARAMETERS, f"{kernel.name} takes {count} parameters: bundle them"


def test_no_module_is_too_long() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in modules() if (n := p.read_text().count("\n")) > MAX_LINES}
    assert set(long) <= set(LONGER), f"split these modules (or say why not in LONGER): {long}"


@pytest.mark.parametrize("name", sorted({part_of(p) for p in modules()} - BASE - CROSSING))
def test_every_subpackage_says_what_others_may_use(name: str) -> None:
    module = __import__(f"dedup.{name}", fromlist=["__all__"])
    assert module.__all__, f"dedup.{name} has an empty __all__"
    for exported in module.__all__:
        assert hasattr(module, exported), f"dedup.{name}.__all__ names {exported}, which it does not have"


def test_the_public_api_is_importable_from_dedup() -> None:
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None, name
    assert {"clean_documents", "clean_text", "find_duplicates", "signatures", "normalize"} <= set(dedup.__all__)
