import pytest
import responses

from rollouts.upswift_api import UpswiftClient
from tests.upswift_api.fake_api import BASE_URL, TOKEN


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return UpswiftClient(BASE_URL, TOKEN)
