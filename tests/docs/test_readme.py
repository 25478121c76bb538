"""The README's set-up paragraphs say what the Makefile installs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make_variable(makefile: str, name: str) -> list[str]:
    value = re.search(rf"^{name} := (.*)$", makefile, re.MULTILINE)
    assert value, f"the Makefile has no {name}"
    return [word for word in value[1].split() if not word.startswith("$(")]


class ReadmeSetUpTests:
    def test_it_names_every_system_package_make_run_and_make_test_install(self):
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        packages = _make_variable(makefile, "SYSTEM_PACKAGES_RUN") + _make_variable(
            makefile, "SYSTEM_PACKAGES_TEST"
        )
        assert len(packages) > 5
        missing = [package for package in packages if f"`{package}`" not in readme]
        assert not missing, f"README.md does not name {missing}"

    def test_it_says_the_python_packages_come_from_the_lock_file(self):
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        for words in (
            "`uv.lock`",
            "`deploy/requirements-uv.txt`",
            "`make lock`",
            "`make outdated`",
        ):
            assert words in readme
