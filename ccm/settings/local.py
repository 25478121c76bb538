"""One machine, no external service: SQLite, filesystem broker, local SMTP sink."""

from ccm.env import env_bool, env_choices
from ccm.vocabulary import Channel

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)

# A newcomer's demo should run to the end at any hour: quiet hours are off on one machine
# unless asked for (CCM_QUIET_HOURS_CHANNELS=sms make run).
CCM_QUIET_HOURS = {
    **CCM_QUIET_HOURS,  # noqa: F405
    "channels": env_choices("CCM_QUIET_HOURS_CHANNELS", "none", tuple(Channel.values)),
}
