"""The session-end metadata-DB check finds a corrupt SQLite file (and passes an intact one)."""

from __future__ import annotations

import sqlite3

from tests.fixtures.airflow import sqlite_problems


def test_intact_database_has_no_problems(tmp_path):
    path = tmp_path / "ok.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table t (id integer primary key, v text)")
        connection.executemany("insert into t (v) values (?)", [("x" * 100,)] * 2000)
        connection.execute("create index t_v on t (v)")
    assert sqlite_problems(path) == []


def test_corrupt_database_is_reported(tmp_path):
    path = tmp_path / "bad.db"
    with sqlite3.connect(path) as connection:
        connection.execute("pragma page_size = 4096")
        connection.execute("create table t (id integer primary key, v text)")
        connection.executemany("insert into t (v) values (?)", [("x" * 100,)] * 2000)
        connection.execute("create index t_v on t (v)")
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 3 + 2048] = b"\xff" * 2048  # trash part of a b-tree page
    path.write_bytes(bytes(data))
    problems = sqlite_problems(path)
    assert problems and problems != ["ok"]
