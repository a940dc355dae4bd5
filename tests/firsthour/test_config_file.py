"""The config file ($XDG_CONFIG_HOME/hologram/config.hjson): the lowest source of
credentials (flags > env > -f > config file); `hologram config show` says where each
value came from and masks the keys."""

import json

from tests.cli.util import HOLOGRAM, run


def write_config(env, text):
    path = f"{env['XDG_CONFIG_HOME']}/hologram/config.hjson"
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def target(cloud):
    return ["--host", "127.0.0.1", "--port", str(cloud.port)]


def test_send_uses_the_config_file_last(cloud, env, tmp_path):
    path = write_config(env, '{\n  // mine\n  cloud_id: "c0nf", cloud_key: "s3cr"\n}\n')
    done = run([*HOLOGRAM, "send", "from config", *target(cloud)], env)
    assert (done.returncode, done.stderr) == (0, "")
    show = run([*HOLOGRAM, "config", "show"], env)
    assert show.returncode == 0
    assert f"config file: {path}" in show.stdout
    assert f"cloud_id: c0nf  (config {path})" in show.stdout
    assert f"cloud_key: ****  (config {path})" in show.stdout
    assert "s3cr" not in show.stdout
    # environment over the config file, -f over it too, a flag over everything
    env2 = {**env, "HOLOGRAM_CLOUD_KEY": "envk"}
    data = json.loads(run([*HOLOGRAM, "config", "show", "--json"], env2).stdout)
    assert data["cloud_key"] == {"value": "****", "source": "environment HOLOGRAM_CLOUD_KEY"}
    assert data["cloud_id"]["source"] == f"config {path}"
    creds = tmp_path / "c.hjson"
    creds.write_text('{cloud_id: "f1le", cloud_key: "f1ky"}')
    data = json.loads(run([*HOLOGRAM, "config", "show", "--json", "-f", str(creds),
                           "--cloud_id", "flg1"], env).stdout)
    assert data["cloud_id"] == {"value": "flg1", "source": "flag --cloud_id"}
    assert data["cloud_key"]["source"] == f"file {creds}"
    assert "envk" not in json.dumps(data) and "f1ky" not in json.dumps(data)


def test_no_config_file_and_a_broken_one(env):
    show = run([*HOLOGRAM, "config", "show"], env)
    assert show.returncode == 0 and "(none)" in show.stdout and "cloud_id: -" in show.stdout
    write_config(env, "{cloud_id: ")
    broken = run([*HOLOGRAM, "config", "show"], env)
    assert broken.returncode == 2 and "is not valid HJSON" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1
