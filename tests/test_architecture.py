"""The architecture: imports point one way, no cycles, no private names across packages."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import qemu_migration

PACKAGE = Path(qemu_migration.__file__).resolve().parent
ROOT = PACKAGE.parent


def _lint_imports():
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or \
        shutil.which("lint-imports")
    assert exe, "lint-imports (import-linter, in the test extra) is not installed"
    return subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_import_linter_contracts_are_kept():
    p = _lint_imports()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Contracts: 2 kept, 0 broken." in p.stdout, p.stdout


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(module):
    """qemu_migration.X for a module inside the package X, the module itself otherwise."""
    return ".".join(module.split(".")[:2])


def private_imports():
    """(module, line, imported module, name) for every ``from M import _name`` where M
    lies in another top-level part of qemu_migration than the importer."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = _module_name(path)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = mod.split(".")
                base = base[:len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("qemu_migration"):
                continue
            for alias in node.names:
                # "_" is gettext, which the ports call as upstream does
                if alias.name.startswith("_") and alias.name != "_" \
                        and _package_of(target) != _package_of(mod):
                    found.append((mod, node.lineno, target, alias.name))
    return found


def test_no_private_names_imported_across_packages():
    assert private_imports() == []


def test_private_import_finder_sees_one(tmp_path, monkeypatch):
    pkg = tmp_path / "qemu_migration"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from ..b import _hidden, shown, _\n"
                                           "from .own import _mine\n")
    (pkg / "b" / "__init__.py").write_text("from qemu_migration.a import _x\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    assert private_imports() == [("qemu_migration.a", 1, "qemu_migration.b", "_hidden"),
                                 ("qemu_migration.b", 1, "qemu_migration.a", "_x")]


def test_the_engine_alone_gives_the_world_its_domain_parser():
    """A fresh interpreter that imports only the engine can run a prepare: the engine
    brings the loader, which installs the parser the world's stubs use."""
    code = ("import qemu_migration.engine\n"
            "from qemu_migration.world.parsing import parse_domain_xml\n"
            "print(parse_domain_xml(\"<domain type='kvm'><name>a</name>"
            "<uuid>6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab</uuid><memory>1</memory>"
            "<vcpu>1</vcpu></domain>\", 't').name)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert (out.returncode, out.stdout, out.stderr) == (0, "a\n", "")
