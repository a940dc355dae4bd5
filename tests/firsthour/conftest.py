import pytest

from hologram_sdk.emulator.cloud import LocalCloud
from tests.cli.util import clean_env


@pytest.fixture
def env(tmp_path):
    return clean_env(tmp_path)


@pytest.fixture
def cloud(tmp_path):
    with LocalCloud(port=0, db=tmp_path / "cloud.db") as server:
        yield server
