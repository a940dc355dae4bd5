"""Issue 14, items 2 and 3: a --db that is not a database is one line; a typed
--db path in a directory that does not exist is an error (nothing is created)."""

import sqlite3

from tests.cli.util import HOLOGRAM, run


def one_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_messages_on_a_file_that_is_not_a_database(env, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some text that is long enough " * 20)
    result = run([*HOLOGRAM, "messages", "--db", str(path)], env)
    assert result.returncode == 1, result
    line = one_line(result)
    assert str(path) in line and "not a database" in line
    assert result.stdout == ""


def test_messages_on_a_database_of_something_else(env, tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    result = run([*HOLOGRAM, "messages", "--db", str(path), "--json"], env)
    assert result.returncode == 1, result
    assert "is not a local cloud database" in one_line(result)


def test_server_db_in_a_missing_directory_is_an_error(env, tmp_path):
    missing = tmp_path / "no" / "such"
    result = run([*HOLOGRAM, "server", "--port", "0", "--db", str(missing / "cloud.db")], env)
    assert result.returncode == 2, result
    line = one_line(result)
    assert f"directory {missing} does not exist" in line
    assert not (tmp_path / "no").exists()


def test_outbox_db_in_a_missing_directory_is_an_error(env, tmp_path):
    missing = tmp_path / "gone"
    result = run([*HOLOGRAM, "outbox", "--db", str(missing / "outbox.db"), "list"], env)
    assert result.returncode == 2, result
    assert f"directory {missing} does not exist" in one_line(result)
    assert not missing.exists()
