"""What the studio's API tests share: the addresses of the reminder communication and an
API client authenticated with a token of the given user."""

from rest_framework.test import APIClient

from ccm.services import api_token_create

BASE = "/api/communications/reminder"
V1 = f"{BASE}/versions/1"


def api_client(user):
    _, key = api_token_create(user=user, name="studio")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client
