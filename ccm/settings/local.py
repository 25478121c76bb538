"""One machine, no external service: SQLite, filesystem broker, local SMTP sink."""

from ccm.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
