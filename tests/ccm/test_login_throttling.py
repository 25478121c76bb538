"""django-axes locks logins out after repeated failures: a username on one address after
AXES_FAILURE_LIMIT, a username on every address after CCM_LOGIN_USERNAME_FAILURE_LIMIT,
an address for every username after CCM_LOGIN_ADDRESS_FAILURE_LIMIT. The address is the
client's (``ccm.client_address``), never one the client wrote into X-Forwarded-For, and
never an unknown one shared by everybody."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
# nginx on the web host: the peer of every request that came through it.
NGINX = "127.0.0.1"
CLIENT = "192.0.2.50"


def _attempt(client, user, password, addr="10.0.0.1", **extra):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR=addr,
        **extra,
    )


def _through_nginx(client, user, password, forwarded):
    """A login as gunicorn gets it from nginx: the peer is nginx, the header what it sent."""
    return _attempt(client, user, password, addr=NGINX, HTTP_X_FORWARDED_FOR=forwarded)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


class PairLimitTests:
    def test_after_five_failures_even_the_right_password_is_refused(self, client, settings):
        user = UserFactory(roles=["designer"])
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _attempt(client, user, "wrong").status_code == 200
        locked = _attempt(client, user, "wrong")
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        assert _attempt(client, user, PASSWORD).status_code == 429
        assert not _logged_in(client)

    def test_the_lockout_holds_for_that_user_on_that_address_only(self, client, settings):
        user, other = UserFactory(roles=["designer"]), UserFactory(roles=["designer"])
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _attempt(client, user, "wrong")
        assert _attempt(client, other, PASSWORD).status_code == 302
        client.logout()
        assert _attempt(client, user, PASSWORD, addr="10.0.0.2").status_code == 302

    def test_without_a_proxy_a_forwarded_for_header_does_not_change_the_address(
        self, client, settings
    ):
        settings.CCM_TRUSTED_PROXY_COUNT = 0
        user = UserFactory(roles=["designer"])
        for i in range(settings.AXES_FAILURE_LIMIT):
            _attempt(client, user, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        assert _attempt(client, user, PASSWORD).status_code == 429

    def test_a_success_clears_earlier_failures(self, client, settings):
        user = UserFactory(roles=["designer"])
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _attempt(client, user, "wrong")
        assert _attempt(client, user, PASSWORD).status_code == 302
        client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _attempt(client, user, "wrong")
        assert _attempt(client, user, PASSWORD).status_code == 302


class BehindTheProxyTests:
    """CCM_TRUSTED_PROXY_COUNT=1, as in production behind deploy/nginx."""

    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 1

    @pytest.mark.parametrize(
        "forwarded",
        [
            pytest.param(lambda i: f"203.0.113.{i}, {CLIENT}", id="nginx-appending"),
            pytest.param(lambda i: CLIENT, id="nginx-overwriting"),
        ],
    )
    def test_eight_wrong_passwords_from_eight_forged_addresses_lock_the_pair(
        self, client, settings, forwarded
    ):
        user = UserFactory(roles=["approver"])
        codes = [_through_nginx(client, user, "wrong", forwarded(i)).status_code for i in range(8)]
        limit = settings.AXES_FAILURE_LIMIT
        assert codes == [200] * (limit - 1) + [429] * (8 - limit + 1)
        assert _through_nginx(client, user, PASSWORD, forwarded(9)).status_code == 429
        assert "ccm_2fa_pending" not in client.session and not _logged_in(client)
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}

    def test_without_a_client_header_the_address_is_the_one_nginx_saw(self, client, settings):
        user = UserFactory(roles=["designer"])
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _through_nginx(client, user, "wrong", CLIENT)
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]
        assert _through_nginx(client, user, PASSWORD, CLIENT).status_code == 429
        assert _through_nginx(client, user, PASSWORD, "192.0.2.51").status_code == 302

    def test_a_lockout_of_an_attackers_address_leaves_the_user_in_elsewhere(self, client, settings):
        user = UserFactory(roles=["designer"])
        for i in range(settings.AXES_FAILURE_LIMIT + 3):
            _through_nginx(client, user, "wrong", f"192.0.2.{i}, 203.0.113.9")
        assert _through_nginx(client, user, PASSWORD, "203.0.113.9").status_code == 429
        assert _through_nginx(client, user, PASSWORD, "198.51.100.20").status_code == 302


class UsernameLimitTests:
    def test_failures_spread_over_many_addresses_lock_the_username_everywhere(
        self, client, settings
    ):
        settings.CCM_TRUSTED_PROXY_COUNT = 1
        user, other = UserFactory(roles=["designer"]), UserFactory(roles=["designer"])
        limit = settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT
        assert limit > settings.AXES_FAILURE_LIMIT
        # Fewer than the pair limit from each address, so no pair locks.
        addresses = [f"203.0.113.{i // 2}" for i in range(limit)]
        codes = [_through_nginx(client, user, "wrong", addr).status_code for addr in addresses]
        assert codes == [200] * (limit - 1) + [429]
        refused = _through_nginx(client, user, PASSWORD, "198.51.100.20")
        assert refused.status_code == 429 and not _logged_in(client)
        assert "from several addresses" in refused.content.decode()
        assert _through_nginx(client, other, PASSWORD, "203.0.113.1").status_code == 302

    def test_spellings_of_a_username_that_log_in_to_it_count_under_it(self, client, settings):
        settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT = 4
        user = UserFactory(username="approver", roles=["designer"])
        # Spaces around it and full-width letters reach the same account (the form strips
        # and NFKC-normalises), so they must not open fresh counts.
        full_width = "".join(chr(ord(letter) + 0xFEE0) for letter in "approver")
        spellings = [" approver", "approver ", full_width, "\tapprover"]
        for i, spelling in enumerate(spellings):
            client.post(
                reverse("login"),
                {"username": spelling, "password": "wrong"},
                REMOTE_ADDR=f"10.0.1.{i}",
            )
        assert _attempt(client, user, PASSWORD, addr="10.0.2.1").status_code == 429


class AddressLimitTests:
    def test_failures_on_many_usernames_lock_the_address_for_everyone(self, client, settings):
        limit = settings.CCM_LOGIN_ADDRESS_FAILURE_LIMIT
        assert limit > settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT
        users = UserFactory.create_batch(limit // 2 + 1, roles=["designer"])
        codes = [_attempt(client, users[i // 2], "wrong").status_code for i in range(limit)]
        assert codes == [200] * (limit - 1) + [429]
        fresh = UserFactory(roles=["designer"])
        refused = _attempt(client, fresh, PASSWORD)
        assert refused.status_code == 429 and not _logged_in(client)
        assert "on several accounts" in refused.content.decode()
        assert _attempt(client, fresh, PASSWORD, addr="10.0.0.2").status_code == 302

    def test_logging_in_to_ones_own_account_does_not_clear_the_address(self, client, settings):
        settings.CCM_LOGIN_ADDRESS_FAILURE_LIMIT = 6
        own, *others = UserFactory.create_batch(4, roles=["designer"])
        for user in [others[0], others[0], others[1], others[1], others[2]]:
            assert _attempt(client, user, "wrong").status_code == 200
        assert _attempt(client, own, PASSWORD).status_code == 302
        client.logout()
        assert _attempt(client, others[2], "wrong").status_code == 429


class UnknownAddressTests:
    def test_a_login_without_a_usable_address_is_refused_and_nothing_is_counted(
        self, client, settings
    ):
        user = UserFactory(roles=["designer"])
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            refused = _attempt(client, user, "wrong", addr="")
            assert refused.status_code == 400
            assert "address" in refused.content.decode()
        assert _attempt(client, user, PASSWORD, addr="").status_code == 400
        assert not _logged_in(client)
        assert not AccessAttempt.objects.exists()
        assert _attempt(client, user, PASSWORD, addr="10.0.0.2").status_code == 302

    def test_a_trusted_header_entry_that_is_no_address_is_refused(self, client, settings):
        settings.CCM_TRUSTED_PROXY_COUNT = 1
        user = UserFactory(roles=["designer"])
        assert _through_nginx(client, user, PASSWORD, "unknown").status_code == 400
        assert not _logged_in(client)


class AttemptsWhileLockedTests:
    """A refused login is not a failure: it neither renews a lock nor counts towards the
    username-wide limit, and one address counts at most the pair limit towards it."""

    def test_wrong_passwords_while_locked_do_not_lock_the_user_out_everywhere(
        self, client, settings
    ):
        user = UserFactory(roles=["designer"])
        assert settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT <= 25
        codes = [_attempt(client, user, "wrong", addr="127.0.0.2").status_code for _ in range(25)]
        limit = settings.AXES_FAILURE_LIMIT
        assert codes == [200] * (limit - 1) + [429] * (25 - limit + 1)
        counted = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
        assert counted == limit
        assert _attempt(client, user, PASSWORD, addr="127.0.0.2").status_code == 429
        assert _attempt(client, user, PASSWORD, addr="198.51.100.7").status_code == 302

    def test_the_right_password_refused_by_a_lock_is_not_counted(self, client, settings):
        settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT = 6
        user = UserFactory(roles=["designer"])
        for i in range(6):
            _attempt(client, user, "wrong", addr=f"10.0.3.{i // 2}")
        for _ in range(3):
            refused = _attempt(client, user, PASSWORD, addr="198.51.100.8")
            assert refused.status_code == 429
        assert not AccessAttempt.objects.filter(ip_address="198.51.100.8").exists()
        assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 6

    def test_one_address_counts_at_most_the_pair_limit_towards_the_username(self, client, settings):
        user = UserFactory(roles=["designer"])
        limit = settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT
        # A row that kept growing: one failure a cool-off period from the same address.
        AccessAttempt.objects.create(
            username=user.username,
            ip_address="127.0.0.2",
            user_agent="",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/login/",
            failures_since_start=limit - 1,
        )
        assert _attempt(client, user, "wrong", addr="10.0.4.1").status_code == 200
        assert _attempt(client, user, "wrong", addr="10.0.4.2").status_code == 200
        assert _attempt(client, user, PASSWORD, addr="10.0.4.3").status_code == 302

    def test_the_username_lockout_page_says_what_was_counted(self, client, settings):
        settings.CCM_LOGIN_USERNAME_FAILURE_LIMIT = 4
        user = UserFactory(roles=["designer"])
        for i in range(4):
            _attempt(client, user, "wrong", addr=f"10.0.5.{i}")
        page = _attempt(client, user, PASSWORD, addr="10.0.5.9").content.decode()
        assert "from several addresses" in page
        assert "every address" in page
        assert f"at most {settings.AXES_FAILURE_LIMIT}" in page
        assert "do not count" in page
