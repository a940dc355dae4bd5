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


@pytest.fixture
def creds_file(tmp_path):
    path = tmp_path / "credentials.hjson"
    path.write_text(
        "{\n"
        "  // Hologram cloud id (4 characters long)\n"
        '  "cloud_id": "q7zx",\n'
        "  // Hologram cloud key (4 characters long)\n"
        '  "cloud_key": "w9vy"\n'
        "}\n"
    )
    return path
