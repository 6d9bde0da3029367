import pytest
import responses

from tests.upswift.fake_api import BASE_URL, TOKEN
from upswift.client import UpswiftClient


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return UpswiftClient(BASE_URL, TOKEN)
