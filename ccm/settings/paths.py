"""Where the platform keeps its files: the checkout, and ``var/`` for everything it writes
on one machine (SQLite, the filesystem broker, archive, print files, mail, SMS)."""

from pathlib import Path

from ccm.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CCM_VAR_DIR", str(BASE_DIR / "var")))
