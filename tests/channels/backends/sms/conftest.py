from collections.abc import Iterator

import pytest

from tests.channels.backends.sms.provider_server import ProviderServer, provider_server_running


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    """A real HTTP server on 127.0.0.1 playing the SMS provider."""
    yield from provider_server_running()
