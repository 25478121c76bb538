"""ccm.settings.base gathers every topic module, so each environment gets every setting."""

import importlib
from pathlib import Path

import ccm.settings.base as base

ENVIRONMENTS = {"base", "local", "production", "test"}
TOPICS = sorted(
    path.stem
    for path in Path(base.__file__).parent.glob("*.py")
    if path.stem not in ENVIRONMENTS and not path.stem.startswith("_")
)


class BaseSettingsTests:
    def test_there_are_topic_modules(self):
        assert {"auth", "storage", "api", "celery", "sending", "backends", "operations"} <= set(
            TOPICS
        )

    def test_every_setting_of_a_topic_module_is_in_base(self):
        for topic in TOPICS:
            module = importlib.import_module(f"ccm.settings.{topic}")
            names = [name for name in vars(module) if name.isupper()]
            assert names, topic
            missing = [name for name in names if not hasattr(base, name)]
            assert not missing, f"ccm/settings/{topic}.py: {missing} not imported by base.py"
            different = [n for n in names if getattr(base, n) is not getattr(module, n)]
            assert not different, f"base.py redefines {different} of ccm/settings/{topic}.py"
