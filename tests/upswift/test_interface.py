"""`DeployApi` names what the engine needs from an API version; `UpswiftClient` (v1) fits it."""

import inspect

import pytest

from tests.upswift.fake_api import BASE_URL, TOKEN
from upswift.client import UpswiftClient
from upswift.interface import DeployApi

METHODS = ["send", "iter_devices_details", "iter_devices_state"]


def test_the_v1_client_is_a_deploy_api():
    assert isinstance(UpswiftClient(BASE_URL, TOKEN), DeployApi)


@pytest.mark.parametrize("name", METHODS)
def test_the_v1_client_takes_the_protocols_arguments(name):
    def shape(function):
        parameters = inspect.signature(function).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters]

    assert shape(getattr(UpswiftClient, name)) == shape(getattr(DeployApi, name))


def test_an_object_missing_a_method_is_not_a_deploy_api():
    class SendOnly:
        def send(self, request):
            raise NotImplementedError

    assert not isinstance(SendOnly(), DeployApi)
