"""The layers hold without tricks: no module of the project is imported inside a function
to get around a cycle (docs/architecture.md#layers). import-linter (``make lint``) checks
the direction of every import; this test checks where they sit. Two places may import
late, as Django wants them to: ``AppConfig.ready()`` (registrations once the apps are
loaded) and management commands; migrations are not walked (a data migration imports the
code it runs only when it runs, against the historical models)."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = (
    "ccm",
    "rendering",
    "customers",
    "templates_store",
    "compliance",
    "channels",
    "insight",
    "demo",
)


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # a relative import is always one of the project's
        return [f"{'.' * node.level}{node.module or ''}"]
    return [node.module or ""]


def _is_project_module(name: str) -> bool:
    return name.startswith(".") or name.split(".")[0] in PACKAGES


def _is_app_config_ready(function: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    if not isinstance(function, ast.FunctionDef) or function.name != "ready":
        return False
    owner = parents.get(function)
    return isinstance(owner, ast.ClassDef) and any(
        (isinstance(base, ast.Name) and base.id == "AppConfig")
        or (isinstance(base, ast.Attribute) and base.attr == "AppConfig")
        for base in owner.bases
    )


def _late_imports(path: Path, *, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        modules = [m for m in _imported_modules(node) if _is_project_module(m)]
        if not modules:
            continue
        function = parents.get(node)
        while function is not None and not isinstance(
            function, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            function = parents.get(function)
        if function is None or _is_app_config_ready(function, parents):
            continue
        where = path.relative_to(root).as_posix()
        found.append(f"{where}:{node.lineno} {', '.join(modules)}")
    return found


def _source_files() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not {"commands", "migrations"} & set(path.relative_to(ROOT).parts)
    )


class LateImportTests:
    def test_no_project_module_is_imported_inside_a_function(self):
        late = [found for path in _source_files() for found in _late_imports(path)]
        assert late == [], "imports inside functions:\n" + "\n".join(late)

    def test_the_walk_sees_every_package_and_finds_a_late_import(self, tmp_path):
        assert {path.relative_to(ROOT).parts[0] for path in _source_files()} == set(PACKAGES)
        sample = ROOT / "ccm" / "apps.py"
        assert _late_imports(sample) == []  # its late imports are in AppConfig.ready()
        probe = tmp_path / "probe.py"
        probe.write_text(
            "from django.apps import AppConfig\n"
            "class ProbeConfig(AppConfig):\n"
            "    def ready(self):\n"
            "        from ccm import roles\n"
            "def late():\n"
            "    from channels.models import Message\n"
            "    import json\n"
        )
        assert _late_imports(probe, root=tmp_path) == ["probe.py:6 channels.models"]
