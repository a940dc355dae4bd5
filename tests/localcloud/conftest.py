import pytest

from hologram_sdk.emulator.cloud import LocalCloud


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cloud.db"


@pytest.fixture
def cloud(db):
    with LocalCloud(port=0, db=db, idle_timeout=2.0) as server:
        yield server
