"""The lock file is what every machine installs: it agrees with pyproject.toml, the
virtualenv holds exactly its versions, and the installer's bootstrap pin comes from it."""

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")


def uv(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(Path(sys.prefix)), "NO_COLOR": "1"}
    return subprocess.run(
        [str(UV), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def locked_pins() -> dict[str, str]:
    """Name -> version of every package the lock installs on this machine (dev included)."""
    exported = uv(
        "export",
        "--frozen",
        "--extra",
        "dev",
        "--no-hashes",
        "--no-emit-project",
        "--format",
        "requirements-txt",
    )
    assert exported.returncode == 0, exported.stderr
    pins = {}
    for line in exported.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            (specifier,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


class LockTests:
    def test_the_lock_agrees_with_pyproject(self):
        checked = uv("lock", "--check")
        assert checked.returncode == 0, checked.stderr

    def test_the_virtualenv_is_exactly_the_lock(self):
        checked = uv("sync", "--frozen", "--extra", "dev", "--check")
        assert checked.returncode == 0, checked.stderr

    def test_every_installed_version_is_the_locked_one(self):
        installed = {
            canonicalize_name(dist.metadata["Name"]): dist.version
            for dist in metadata.distributions(path=[p for p in sys.path if "site-packages" in p])
        }
        assert installed == locked_pins()

    def test_the_installer_bootstrap_pin_is_exported_from_the_lock(self):
        exported = uv(
            "export",
            "--frozen",
            "--only-group",
            "installer",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "--no-header",
        )
        assert exported.returncode == 0, exported.stderr
        bootstrap = (ROOT / "deploy" / "requirements-uv.txt").read_text()
        body = "\n".join(line for line in bootstrap.splitlines() if not line.startswith("#"))
        assert body.strip() == exported.stdout.strip()
        assert "--hash=sha256:" in body
