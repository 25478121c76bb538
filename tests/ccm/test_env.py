"""ccm.env: settings read from the environment, and bad values named at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from ccm.env import env_choices

CHANNELS = ("email", "sms", "print")


class EnvChoicesTests:
    def test_an_unset_variable_gives_the_default(self, monkeypatch):
        monkeypatch.delenv("CCM_TEST_CHANNELS", raising=False)
        assert env_choices("CCM_TEST_CHANNELS", "sms", CHANNELS) == ["sms"]

    def test_a_list_is_split_on_commas_and_trimmed(self, monkeypatch):
        monkeypatch.setenv("CCM_TEST_CHANNELS", " sms, email ")
        assert env_choices("CCM_TEST_CHANNELS", "sms", CHANNELS) == ["sms", "email"]

    def test_none_is_the_empty_list(self, monkeypatch):
        monkeypatch.setenv("CCM_TEST_CHANNELS", "none")
        assert env_choices("CCM_TEST_CHANNELS", "sms", CHANNELS) == []

    def test_an_unknown_name_stops_start_up_naming_the_variable_and_the_choices(self, monkeypatch):
        monkeypatch.setenv("CCM_TEST_CHANNELS", "sms,fax")
        with pytest.raises(ImproperlyConfigured) as error:
            env_choices("CCM_TEST_CHANNELS", "sms", CHANNELS)
        assert str(error.value) == (
            "CCM_TEST_CHANNELS='sms,fax': fax is not one of email, sms, print (or none)."
        )
