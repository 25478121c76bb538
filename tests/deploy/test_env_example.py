"""deploy/.env.example lists every setting that ccm/settings reads from the environment."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = REPO_ROOT / "ccm" / "settings"
ENV_EXAMPLE = REPO_ROOT / "deploy" / ".env.example"
READ = re.compile(r"\benv_(?:str|bool|int|list|choices)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
LISTED = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_read() -> dict[str, str]:
    """Each variable read through ccm.env in ccm/settings, with the file reading it."""
    names: dict[str, str] = {}
    for path in sorted(SETTINGS_DIR.glob("*.py")):
        for name in READ.findall(path.read_text(encoding="utf-8")):
            names.setdefault(name, path.name)
    return names


def listed() -> list[str]:
    return LISTED.findall(ENV_EXAMPLE.read_text(encoding="utf-8"))


class EnvExampleTests:
    def test_every_setting_read_from_the_environment_is_listed(self):
        missing = {name: path for name, path in settings_read().items() if name not in listed()}
        assert not missing, (
            "Add these to deploy/.env.example with a line saying what they mean: "
            + ", ".join(f"{name} (read in ccm/settings/{path})" for name, path in missing.items())
        )

    def test_the_scan_finds_settings_spread_over_several_lines(self):
        names = settings_read()
        # Read as env_str(\n    "CCM_RATE_LIMIT_REDIS_URL", ...) in backends.py.
        assert "CCM_RATE_LIMIT_REDIS_URL" in names
        assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL"} <= set(names)

    def test_each_setting_is_listed_once_and_explained(self):
        names = listed()
        assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
        lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if not LISTED.match(line):
                continue
            above = number - 1
            while above >= 0 and LISTED.match(lines[above]):
                above -= 1  # a group of settings shares the comment above it
            assert above >= 0 and lines[above].startswith("# "), (
                f"deploy/.env.example line {number + 1} ({line}) has no comment saying what it is"
            )
