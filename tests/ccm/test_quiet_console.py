"""manage.py commands print only what they are asked for: no library banners or warnings."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
NOISE = (
    "AXES: BEGIN",  # django-axes, AXES_VERBOSE
    "pikepdf C++ to Python logger bridge",  # pikepdf's INFO line at import
    "No hostname was supplied",  # kombu, a broker URL without a host
    "setuptools",
    "pkg_resources",
)


def test_manage_py_check_prints_no_library_noise(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ccm.settings.local",
        "CCM_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ccm.sqlite3'}",
    }
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert [line for line in output.splitlines() if any(n in line for n in NOISE)] == []
    assert result.stderr == ""
