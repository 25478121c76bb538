"""Who a designer may send a test to, and how a mobile number becomes one of them.

A test send goes only to:

- the sender's own email address (``User.email``: only an administrator sets it, there
  is no self-service change, so it is the address the organisation knows them by);
- a mobile number of the sender's that they verified with a one-time code sent to it
  (``VerifiedPhone``, from the *Test recipients* page);
- an entry of the administrators' allowlist (``TestRecipient``, edited in the admin),
  for every communication or only for those of one owner team.

Anything else is refused with ``TestSendRefused``, whose message names the address and
why. Sending the code is itself limited per user (``CCM_PHONE_VERIFICATION_RATE_LIMIT``)
and logged, like a test send (``channels.services.test_sends``).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from ccm.vocabulary import Channel
from templates_store.models import TemplateVersion, TestRecipient, TestSendLog, VerifiedPhone

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
# The salt keeps the path the codes were first hashed under: codes in flight stay valid.
_CODE_SALT = "channels.services.test_recipients.phone-code"

OWN_EMAIL = "own_email"
VERIFIED_PHONE = "verified_phone"
ALLOWLIST = "allowlist"


class TestSendRefused(Exception):
    """A test send (or a verification code) that is not allowed. The message names the
    address or number and the reason, ready to show to the person who asked."""


class TestSendRateLimited(TestSendRefused):
    """Over the per-user budget; ``retry_after`` is the seconds until one is free."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class AllowedRecipient:
    """One address a user may send tests of a channel to, and why (``source``)."""

    channel: str
    address: str
    source: str
    label: str


def phone_normalise(number: str) -> str:
    """``"+44 (7700) 900-123"`` -> ``"+447700900123"``: spaces, brackets, dots and dashes
    dropped, nothing else changed."""
    return re.sub(r"[\s().-]", "", number)


def test_recipients_for(*, user: User, version: TemplateVersion) -> list[AllowedRecipient]:
    """Every address and number ``user`` may send tests of ``version`` to: their own
    email, their verified phones, then the allowlist entries for every communication or
    for the communication's owner team."""
    allowed: list[AllowedRecipient] = []
    if user.email:
        allowed.append(AllowedRecipient(Channel.EMAIL, user.email, OWN_EMAIL, _("your address")))
    for phone in VerifiedPhone.objects.filter(user=user, verified_at__isnull=False):
        allowed.append(
            AllowedRecipient(Channel.SMS, phone.number, VERIFIED_PHONE, _("your verified phone"))
        )
    team = version.communication.owner_team
    entries = TestRecipient.objects.filter(Q(team="") | Q(team=team) if team else Q(team=""))
    for entry in entries:
        label = entry.label or (
            _("test recipient of %(team)s") % {"team": entry.team}
            if entry.team
            else _("test recipient")
        )
        allowed.append(AllowedRecipient(entry.kind, entry.address, ALLOWLIST, label))
    return allowed


def test_recipient_check(
    *, user: User, version: TemplateVersion, channel: str, to: str
) -> AllowedRecipient:
    """The entry that allows ``user`` to send a test of ``version`` on ``channel`` to
    ``to`` (an email address compared without regard to case, a number without spaces or
    dashes); send to its ``address``. Raises TestSendRefused naming ``to`` when none does."""
    wanted = to.strip().lower() if channel == Channel.EMAIL else phone_normalise(to)
    for allowed in test_recipients_for(user=user, version=version):
        address = allowed.address.lower() if channel == Channel.EMAIL else allowed.address
        if allowed.channel == channel and address == wanted:
            return allowed
    if channel == Channel.EMAIL:
        raise TestSendRefused(
            _(
                "%(to)s may not receive tests: a test email goes only to your own address "
                "or to a test recipient an administrator added."
            )
            % {"to": to}
        )
    unverified = VerifiedPhone.objects.filter(user=user, number=wanted, verified_at__isnull=True)
    if unverified.exists():
        raise TestSendRefused(
            _(
                "%(to)s may not receive tests yet: confirm it with the code sent to it "
                "(Test recipients page)."
            )
            % {"to": to}
        )
    raise TestSendRefused(
        _(
            "%(to)s may not receive tests: a test SMS goes only to a number you verified "
            "(Test recipients page) or to a test recipient an administrator added."
        )
        % {"to": to}
    )


def test_sends_for_version(*, version: TemplateVersion, limit: int = 20) -> list[TestSendLog]:
    """The latest ``limit`` test-send attempts of ``version``, newest first, with their user."""
    return list(TestSendLog.objects.filter(version=version).select_related("user")[:limit])


def _code_hash(phone: VerifiedPhone, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{phone.user_id}:{phone.number}:{code}").hexdigest()


def phone_code_issue(*, user: User, number: str) -> tuple[VerifiedPhone, str]:
    """Record a new one-time code for ``number`` (E.164, already checked) of ``user`` and
    return it; any earlier code of that number stops working. Raises TestSendRefused when
    the number is already verified. The code is kept only as a keyed hash."""
    phone, _created = VerifiedPhone.objects.get_or_create(user=user, number=number)
    if phone.is_verified:
        raise TestSendRefused(_("%(number)s is already verified.") % {"number": number})
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    phone.code_hash = _code_hash(phone, code)
    phone.code_sent_at = timezone.now()
    phone.code_attempts = 0
    phone.save(update_fields=["code_hash", "code_sent_at", "code_attempts"])
    return phone, code


def phone_verification_confirm(*, user: User, number: str, code: str) -> VerifiedPhone:
    """Mark ``number`` of ``user`` verified when ``code`` is the one last sent to it,
    within ``CODE_LIFETIME`` and ``CODE_MAX_ATTEMPTS`` tries. Raises TestSendRefused
    naming the number and the reason otherwise (a wrong code counts as a try)."""
    number = phone_normalise(number)
    code = code.strip()
    with transaction.atomic():
        phone = (
            VerifiedPhone.objects.select_for_update()
            .filter(user=user, number=number, verified_at__isnull=True)
            .exclude(code_hash="")
            .first()
        )
        if phone is None:
            raise TestSendRefused(
                _("No code was sent to %(number)s: ask for one first.") % {"number": number}
            )
        assert phone.code_sent_at is not None
        if timezone.now() - phone.code_sent_at > CODE_LIFETIME:
            raise TestSendRefused(
                _("The code sent to %(number)s has expired: ask for a new one.")
                % {"number": number}
            )
        if phone.code_attempts >= CODE_MAX_ATTEMPTS:
            raise TestSendRefused(
                _("Too many wrong codes for %(number)s: ask for a new one.") % {"number": number}
            )
        if not constant_time_compare(phone.code_hash, _code_hash(phone, code)):
            VerifiedPhone.objects.filter(pk=phone.pk).update(code_attempts=F("code_attempts") + 1)
            raise_wrong = True
        else:
            raise_wrong = False
            phone.verified_at = timezone.now()
            phone.code_hash = ""
            phone.save(update_fields=["verified_at", "code_hash"])
    if raise_wrong:
        raise TestSendRefused(_("This is not the code sent to %(number)s.") % {"number": number})
    return phone


def phone_remove(*, user: User, number: str) -> None:
    """Forget ``number`` of ``user`` (verified or not): it receives no more tests."""
    VerifiedPhone.objects.filter(user=user, number=phone_normalise(number)).delete()
