import pytest
from django.core.exceptions import ValidationError

from channels import rate_limits
from channels.rate_limits import RateLimiter
from channels.services import sms as sms_service
from channels.services.sms import (
    SmsRefused,
    sender_rate_limit,
    sms_build,
    sms_number_check,
    sms_throttle,
)
from tests.factories.templates_store import BrandFactory, CommunicationFactory

pytestmark = pytest.mark.django_db


class SmsNumberCheckTests:
    def test_an_e164_number_gives_its_region(self):
        assert sms_number_check(number="+819012345678") == "JP"

    @pytest.mark.parametrize(
        ("number", "reason"),
        [
            ("09012345678", "not in E.164 form"),
            ("+81 90 1234 5678", "not in E.164 form"),
            ("+8190", "not a valid phone number"),
            ("+abc", "not a phone number"),
        ],
    )
    def test_a_number_not_in_e164_is_refused_for_good(self, number, reason):
        with pytest.raises(SmsRefused, match=reason) as caught:
            sms_number_check(number=number)
        assert caught.value.permanent

    def test_a_number_outside_the_allowed_countries_is_refused_naming_both(self, settings):
        settings.CCM_SMS_ALLOWED_COUNTRIES = ["JP", "GB"]
        assert sms_number_check(number="+447400123456") == "GB"
        with pytest.raises(
            SmsRefused, match=r"\+2348012345678 is a number in NG; SMS may only go to JP, GB"
        ) as caught:
            sms_number_check(number="+2348012345678")
        assert caught.value.permanent

    def test_without_an_allowlist_every_country_is_allowed(self, settings):
        settings.CCM_SMS_ALLOWED_COUNTRIES = []
        assert sms_number_check(number="+2348012345678") == "NG"


class SmsBuildTests:
    def test_the_communications_sender_overrides_the_brands(self):
        brand = BrandFactory(sms_sender="AcmeEnergy")
        own = CommunicationFactory(brand=brand, sms_sender="AcmeAlerts")
        inherited = CommunicationFactory(brand=brand)
        args = {"to": "+447400123456", "text": "hi", "reference": "r"}
        assert sms_build(communication=own, **args).sender == "AcmeAlerts"
        assert sms_build(communication=inherited, **args).sender == "AcmeEnergy"

    def test_a_text_over_the_segment_limit_is_refused(self):
        communication = CommunicationFactory(sms_max_segments=2)
        sms_build(communication=communication, to="+447400123456", text="あ" * 134, reference="r")
        with pytest.raises(SmsRefused, match="3 segments \\(UCS-2\\); the limit is 2"):
            sms_build(
                communication=communication, to="+447400123456", text="あ" * 135, reference="r"
            )

    @pytest.mark.parametrize("sender", ["AcmeEnergy", "12345", "+447400123456", "Acme 24"])
    def test_valid_sender_ids(self, sender):
        CommunicationFactory.build(sms_sender=sender).full_clean(exclude=["brand"])

    @pytest.mark.parametrize("sender", ["TwelveLetters", "1", "0447700900123", "Acme!", "+0123"])
    def test_invalid_sender_ids_are_refused(self, sender):
        with pytest.raises(ValidationError) as caught:
            CommunicationFactory.build(sms_sender=sender).full_clean(exclude=["brand"])
        assert "sms_sender" in caught.value.message_dict


class SenderRateLimitTests:
    def test_a_sender_has_its_own_rate_and_others_share_the_default(self, settings):
        settings.SMS_BACKENDS = {
            "default": {
                "BACKEND": "channels.backends.sms.locmem.SmsBackend",
                "SENDER_RATE_LIMITS": {"AcmeAlerts": 2, "*": 5},
            }
        }
        assert sender_rate_limit(backend_alias="default", sender="AcmeAlerts") == 2
        assert sender_rate_limit(backend_alias="default", sender="Other") == 5

    def test_each_sender_keeps_its_rate_under_the_backends(self, settings, monkeypatch):
        settings.SMS_BACKENDS = {
            "default": {
                "BACKEND": "channels.backends.sms.locmem.SmsBackend",
                "RATE_LIMIT": 100,
                "SENDER_RATE_LIMITS": {"Slow": 10},
            }
        }
        limiter = RateLimiter(None)
        monkeypatch.setattr(rate_limits, "_limiter", limiter)
        reserved: list[tuple[str, float]] = []
        original = limiter.reserve

        def reserve(key: str, per_second: float) -> float:
            reserved.append((key, per_second))
            return original(key, per_second)

        monkeypatch.setattr(limiter, "reserve", reserve)
        monkeypatch.setattr(sms_service.time, "sleep", lambda seconds: None)
        waits = [sms_throttle(backend_alias="default", sender="Slow") for _ in range(3)]
        # The sender's schedule (10 a second) sets the pace, not the backend's (100).
        assert waits[1] == pytest.approx(0.1, abs=0.01)
        assert waits[2] == pytest.approx(0.2, abs=0.01)
        assert ("sms:default:sender:Slow", 10.0) in reserved and ("sms:default", 100.0) in reserved
        # Another sender without a limit of its own waits only for the backend.
        assert sms_throttle(backend_alias="default", sender="Fast") < 0.05
        assert ("sms:default:sender:Fast", 0.0) not in reserved
