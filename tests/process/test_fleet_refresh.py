"""Beat keeps the fleet inventory fresh through a real worker: the projects plans name are read
whole, and a change in Upswift (a device going offline) reaches the inventory on a later read."""

import pytest

from rollouts.models import FleetDevice, FleetRead
from rollouts.services.plans import plan_create
from tests.support.processes import wait_for

pytestmark = pytest.mark.integration

FAST = {"FLEET_REFRESH_SECONDS": "1", "FLEET_MAX_AGE_SECONDS": "2"}


def test_beat_reads_the_fleet_and_follows_its_changes(engine_factory):
    plan_create(name="Weekly", project="Demo", stages=[{"target": "all"}])
    with engine_factory(devices=200, env=FAST) as engine:
        devices = engine.sim.truth(project="Demo")["devices"]

        def read_whole():
            read = FleetRead.objects.filter(project="Demo", completed_at__isnull=False).first()
            return read is not None and read.devices == devices

        wait_for(read_whole, timeout=90, describe=engine.logs)
        assert (
            FleetDevice.objects.filter(project="Demo", online=True).count()
            == (engine.sim.truth(project="Demo")["online"])
        )

        engine.sim.set_state("offline", device_uuids=["d-4ec7-1be9"])
        wait_for(
            lambda: FleetDevice.objects.get(device_uuid="d-4ec7-1be9").online is False,
            timeout=60,
            describe=engine.logs,
        )
