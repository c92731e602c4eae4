"""The SQLite store: round trips, atomic pages, migrations, snapshots."""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import item
from tieback.connectors.source import group_of
from tieback.errors import StoreError
from tieback.model import Item
from tieback.store import SCHEMA_VERSION, Store


def test_items_round_trip(store_location: str | Path) -> None:
    original = item(
        "EDU-1",
        labels=("outcome:a", "ktlo"),
        field_refs=("a",),
        body="line\nOutcome: a",
        parent="EDU-0",
        points=2.5,
        done=True,
        author="ann",
        updated="2026-11-01T10:00:00.000+0000",
        done_at="2026-10-30T17:45:12.000-0700",
    )
    with Store.open(store_location) as store:
        store.upsert_items("q1", [original, item("EDU-2")])
        assert store.count() == 2
        assert store.keys("jira", "q1") == {"EDU-1", "EDU-2"}
        store.upsert_items("files", [item("EDU-3")])
        assert store.keys("jira") == {"EDU-1", "EDU-2", "EDU-3"}
        assert store.keys("jira", besides="files") == {"EDU-1", "EDU-2"}
        assert store.keys("jira", besides="q1") == {"EDU-3"}
        assert store.keys("github", besides="files") == set()
    with Store.open(store_location) as store:
        assert {i.key: i for i in store.items()}["EDU-1"] == original


def test_the_audits_lean_read_keeps_what_alignment_needs(store_location: str | Path) -> None:
    marked = item("EDU-1", body="As a teacher...\n  OUTCOME: a", labels=("x", "y"), updated="t1")
    plain = item("EDU-2", body="no marker here", labels=("x", "y"), points=3.0, updated="t2")
    with Store.open(store_location) as store:
        store.upsert_items("q", [marked, plain])
        full = {i.key: i for i in store.items()}
        lean = {i.key: i for i in store.items(body_marker="Outcome:", stamped=False)}
    assert full == {"EDU-1": marked, "EDU-2": plain}
    # The marker line is all alignment reads of a body; updated is a sync's business.
    assert lean["EDU-1"] == marked._replace(updated="")
    assert lean["EDU-2"] == plain._replace(body="", updated="")
    # Repeated label sets are one shared tuple, not a copy per item.
    assert lean["EDU-1"].labels is lean["EDU-2"].labels


def test_the_lean_read_keeps_the_day_each_item_was_done(store_location: str | Path) -> None:
    items = [
        item("EDU-1", done=True, done_at="2026-11-02T14:03:11.000+0000"),
        item("EDU-2", done=True, done_at="2026-11-02T23:59:00.000-0800"),
        item("EDU-3", done=True, done_at="2026-11-03"),
        item("EDU-4"),
    ]
    with Store.open(store_location) as store:
        store.upsert_items("q", items)
        full = sorted(store.items(), key=lambda i: i.key)
        lean = sorted(store.items(body_marker="Outcome:", stamped=False), key=lambda i: i.key)
    assert full == items
    # The day as the tracker gave it is all a report reads of a done date; a day's
    # items share one string.
    assert [i.done_at for i in lean] == ["2026-11-02", "2026-11-02", "2026-11-03", ""]
    assert lean[0].done_at is lean[1].done_at


def test_a_sync_writing_an_item_again_replaces_its_done_date(store_location: str | Path) -> None:
    done = item("EDU-1", done=True, status="Done", done_at="2026-11-02T14:03:11.000+0000")
    with Store.open(store_location) as store:
        store.upsert_items("q", [done])
        store.upsert_items("q", [done._replace(done=False, status="Reopened", done_at="")])
        [reopened] = store.items()
        assert (reopened.done, reopened.done_at) == (False, "")
        store.upsert_items("q", [done._replace(done_at="2026-11-09T08:00:00.000+0000")])
        [again] = store.items()
        assert again.done_at == "2026-11-09T08:00:00.000+0000"


# Bodies whose marker only Unicode-aware lower casing finds: the Kelvin sign lowers to
# "k", and an upper-case non-ASCII letter in a non-ASCII marker.
@pytest.mark.parametrize(
    ("marker", "body", "kept"),
    [
        ("Kind:", "\u212aIND: activation", True),
        ("Outcome:", "OUTCOME: a", True),
        ("Outcome:", "Outcome - no colon", False),
        ("Résultat:", "RÉSULTAT: a", True),
        ("Résultat:", "Resultat: a", False),
    ],
)
def test_the_lean_read_finds_the_marker_as_python_does(
    store_location: str | Path, marker: str, body: str, kept: bool
) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q", [item("EDU-1", body=body)])
        [read] = store.items(body_marker=marker, stamped=False)
    assert read.body == (body if kept else "")


@settings(max_examples=80, deadline=None)
@given(
    marker=st.sampled_from(["Outcome:", "kpi:", "in:", "Résultat:"]),
    bodies=st.lists(st.text(alphabet="OoUuTtCcMmEe:KkIiNn \u0130\u212aÉé\n", max_size=12)),
)
def test_the_lean_read_keeps_exactly_the_bodies_with_the_marker(
    marker: str, bodies: list[str]
) -> None:
    items = [item(f"EDU-{n}", body=body) for n, body in enumerate(bodies, start=1)]
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "s.db") as store:
        store.upsert_items("q", items)
        read = {i.key: i.body for i in store.items(body_marker=marker, stamped=False)}
    expected = {i.key: i.body if marker.lower() in i.body.lower() else "" for i in items}
    assert read == expected


def test_a_marked_store_gives_audits_the_marker_lines_not_the_body(
    store_location: str | Path,
) -> None:
    long = "As a teacher I want it.\n" * 200 + "  outcome: a, b\nmore text\nOUTCOME: c\nend"
    items = [item("EDU-1", body=long), item("EDU-2", body="no marker here"), item("EDU-3")]
    with Store.open(store_location) as store:
        store.mark_with("Outcome:")
        store.upsert_items("q", items)
    with Store.open(store_location) as store:  # the marker is kept in the store itself
        lean = {i.key: i.body for i in store.items(body_marker="OUTCOME:", stamped=False)}
        full = {i.key: i for i in store.items()}
        other = {i.key: i.body for i in store.items(body_marker="Goal:", stamped=False)}
    assert lean == {"EDU-1": "  outcome: a, b\nOUTCOME: c", "EDU-2": "", "EDU-3": ""}
    assert full == {i.key: i for i in items}
    # Another marker than the store's: the bodies themselves are read.
    assert other == {"EDU-1": "", "EDU-2": "", "EDU-3": ""}


def test_a_new_marker_marks_every_stored_body_again(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tieback.store.api._BATCH", 3)  # several batches, over two sources
    items = [
        item(f"EDU-{n}", body=f"Outcome: a{n}\nGoal: g{n}" if n % 2 else "plain")
        for n in range(1, 8)
    ]
    items += [item(f"acme/app#{n}", source="github", body=f"goal: h{n}") for n in (1, 2)]
    with Store.open(store_location) as store:
        store.upsert_items("q", items[:4])  # before any marker: no marks kept
        store.mark_with("Outcome:")
        store.upsert_items("q", items[4:])
        outcome = {i.key: i.body for i in store.items(body_marker="Outcome:", stamped=False)}
        store.mark_with("Goal:")
        goal = {i.key: i.body for i in store.items(body_marker="Goal:", stamped=False)}
    edu = {f"EDU-{n}": n % 2 for n in range(1, 8)}
    assert outcome == {
        **{key: f"Outcome: a{key[4:]}" if odd else "" for key, odd in edu.items()},
        "acme/app#1": "",
        "acme/app#2": "",
    }
    assert goal == {
        **{key: f"Goal: g{key[4:]}" if odd else "" for key, odd in edu.items()},
        "acme/app#1": "goal: h1",
        "acme/app#2": "goal: h2",
    }


def test_upsert_replaces_and_never_duplicates(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q", [item("EDU-1", title="old")])
        store.upsert_items("q", [item("EDU-1", title="new")])
        assert [i.title for i in store.items("jira")] == ["new"]


def test_a_failed_page_leaves_neither_items_nor_cursor(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_items("q", [item("EDU-1")])
            store.set_cursor("jira", "q", "2026-11-22T10:00", "2026-11-22T10:00:05Z")
            raise RuntimeError("killed mid-page")
        assert store.count() == 0
        assert store.cursor("jira", "q") is None


def test_delete_items(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q", [item("EDU-1"), item("EDU-2")])
        assert store.delete_items("jira", "q", ["EDU-2", "EDU-9"]) >= 1
        assert store.keys("jira") == {"EDU-1"}


def test_two_queries_keep_their_own_copies_and_removals(store_location: str | Path) -> None:
    # Two configurations sharing a store: each query keeps its own copy of an issue both
    # match, and removing one query's copy leaves the other's, description included.
    with Store.open(store_location) as store:
        store.upsert_items("team-a", [item("EDU-1", body="a's copy"), item("EDU-2")])
        store.upsert_items("team-b", [item("EDU-1", title="b's title", body="b's copy")])
        assert store.queries("jira") == ["team-a", "team-b"]
        assert store.count("jira", "team-a") == 2
        assert store.count("jira", "team-b") == 1
        assert {i.title for i in store.items(scopes=[("jira", "team-a")])} == {
            "Work on EDU-1",
            "Work on EDU-2",
        }
        assert store.delete_items("jira", "team-b", ["EDU-1"]) == 1
        assert store.keys("jira", "team-a") == {"EDU-1", "EDU-2"}
        assert [i.body for i in store.items(scopes=[("jira", "team-a")]) if i.key == "EDU-1"] == [
            "b's copy"  # one description an issue: the latest read
        ]
        store.delete_items("jira", "team-a", ["EDU-1"])
        [count] = store._engine.execute("SELECT count(*) FROM bodies").fetchone()
    assert count == 0


def test_a_description_emptied_or_deleted_with_its_item_is_gone(
    store_location: str | Path,
) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q", [item("EDU-1", body="old text"), item("EDU-2", body="kept")])
        store.upsert_items("q", [item("EDU-1", body="")])  # the tracker's is empty now
        store.upsert_items("q", [item("EDU-3", body="gone with its item")])
        store.delete_items("jira", "q", ["EDU-3"])
        store.upsert_items("q", [item("EDU-3")])  # back, with no description
        assert {i.key: i.body for i in store.items()} == {"EDU-1": "", "EDU-2": "kept", "EDU-3": ""}
        [count] = store._engine.execute("SELECT count(*) FROM bodies").fetchone()
    assert count == 1


def test_counts_by_source_and_query(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q", [item("EDU-1"), item("EDU-2"), item("a#1", source="github")])
        store.upsert_items("files", [item("EDU-3")])
        assert store.count() == 4
        assert store.count("jira") == 3
        assert store.count("jira", besides="files") == 2
        assert store.count("github", besides="q") == 0


def test_key_counts_group_as_sources_group_keys(store_location: str | Path) -> None:
    keys = ["acme/app#1", "Acme/App#2", "acme/web#1", "nohash"]
    with Store.open(store_location) as store:
        store.upsert_items("repos", [item(key, source="github") for key in keys])
        store.upsert_items("files", [item("acme/app#9", source="github")])
        store.upsert_items("repos", [item("acme/app#1", source="jira")])
        counted = store.key_counts("github", "repos", "#")
        assert counted == {"acme/app": 2, "acme/web": 1, "": 1}
        assert counted == Counter(group_of(key, "#") for key in keys)
        assert store.key_counts("github", "repos") == {"": 4}
        assert store.key_counts("github", "nothing synced") == {}
        assert store.key_counts("github", "nothing synced", "#") == {}
        # One group, counted in one scan; then a key in another spelling of it.
        store.upsert_items("one", [item(f"acme/app#{n}", source="github") for n in (1, 2, 10)])
        assert store.key_counts("github", "one", "#") == {"acme/app": 3}
        store.upsert_items("one", [item("ACME/app#3", source="github")])
        assert store.key_counts("github", "one", "#") == {"acme/app": 4}


def test_schema_version_and_newer_store_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer tieback"), Store.open(path):
        pass


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="unreadable"), Store.open(path):
        pass


def test_snapshots(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        store.add_snapshot("2026-11-20T00:00:00Z", "audit", {"coverage": 50.0})
        store.add_snapshot("2026-11-21T00:00:00Z", "audit", {"coverage": 60.0})
        store.add_snapshot("2026-11-21T00:00:00Z", "post", {"coverage": 61.0})
        latest = store.latest_snapshot("audit")
        assert latest is not None and latest.data == {"coverage": 60.0}
        assert len(store.snapshots(since="2026-11-21")) == 2


def test_set_labels_changes_only_the_labels_of_stored_items(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        store.upsert_items("q1", [item("EDU-1", labels=("a",))])
        store.upsert_items("files", [item("EDU-2")])
        labels = {"EDU-1": ("a", "needs-outcome"), "EDU-9": ("x",)}
        changed = store.set_labels("jira", labels, ["q1"])
        assert changed == 1  # EDU-9 is not stored: nothing is made up for it
        by_key = {i.key: i for i in store.items()}
        assert by_key["EDU-1"].labels == ("a", "needs-outcome")
        assert by_key["EDU-1"]._replace(labels=("a",)) == item("EDU-1", labels=("a",))
        assert store.keys("jira", "q1") == {"EDU-1"}  # still under the query that synced it
        assert store.keys("jira", "files") == {"EDU-2"}
        assert set(by_key) == {"EDU-1", "EDU-2"}


def test_comments_are_remembered(store_location: str | Path) -> None:
    from tieback.store import PostedComment

    with Store.open(store_location) as store:
        assert store.comment("jira", "EDU-1", "explain") is None
        posted = PostedComment("jira", "EDU-1", "explain", "10042", "abc", "2026-11-22T10:00:00Z")
        store.set_comment(posted)
        store.set_comment(PostedComment("jira", "EDU-2", "summary", "1", "d", "t"))
        assert store.comment("jira", "EDU-1", "explain") == posted
        assert store.commented("jira", "explain") == {"EDU-1"}


def test_a_version_1_store_is_migrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tieback.store import _MIGRATIONS

    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    first = _MIGRATIONS[0].format(rowid="", serial="INTEGER PRIMARY KEY AUTOINCREMENT")
    connection.executescript(first + "PRAGMA user_version = 1;")
    connection.execute("INSERT INTO cursors VALUES ('jira', 'q', '2026-11-01T00:00:00+00:00', 'x')")
    connection.commit()
    connection.close()
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.cursor("jira", "q") is not None
        assert store.commented("jira", "explain") == set()
    said = capsys.readouterr().err
    assert said == f"tieback: {path}: updating the store from schema 1 to {SCHEMA_VERSION}, once\n"
    with Store.open(path):  # up to date: nothing to say
        pass
    assert capsys.readouterr().err == ""
    indexes = sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'items_by_query'"
    )
    assert indexes.fetchall() == []  # version 3 dropped it


def test_a_version_3_store_keeps_its_items_and_marks_them_at_the_first_sync(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tieback.store import migrations

    with monkeypatch.context() as old:
        old.setattr(migrations, "_MIGRATIONS", migrations._MIGRATIONS[:3])
        old.setattr(migrations, "SCHEMA_VERSION", 3)
        with Store.open(store_location) as store:
            store._engine.execute(
                "INSERT INTO items (source, key, query, title, url, type, status, done, labels, "
                "field_refs, body, parent, points, team, author, updated) VALUES "
                "('jira', 'EDU-1', 'q', 'Old', 'u', 'Story', 'To Do', 0, 'x', '', "
                "'text\nOutcome: a', 'EDU-0', 2.0, 'EDU', 'ann', 't1')"
            )
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        [kept] = store.items()
        [lean] = store.items(body_marker="Outcome:", stamped=False)
        store.mark_with("Outcome:")
        [marked] = store.items(body_marker="Outcome:", stamped=False)
    assert kept == item(
        "EDU-1",
        title="Old",
        url="u",
        type="Story",
        status="To Do",
        labels=("x",),
        body="text\nOutcome: a",
        parent="EDU-0",
        points=2.0,
        author="ann",
        updated="t1",
    )
    assert lean.body == "text\nOutcome: a"  # no marks yet: the body itself
    assert marked.body == "Outcome: a"


def test_a_version_4_store_keeps_its_descriptions_in_a_smaller_file(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = "As a learner I want to see my streak.\n" * 60  # 2.3 KB, as real ones run
    items = [item(f"EDU-{n}", body=f"{long}Outcome: o{n}" if n % 3 else "") for n in range(600)]
    _written_by_version(4, store_location, items, monkeypatch)
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert sorted(store.items(), key=lambda i: int(i.key[4:])) == items
        lean = {i.key: i.body for i in store.items(body_marker="Outcome:")}
        assert [lean["EDU-0"], lean["EDU-1"], lean["EDU-2"]] == ["", "Outcome: o1", "Outcome: o2"]
        store.upsert_items("q", [items[1]._replace(body="new")])
        assert [i.body for i in store.items() if i.key == "EDU-1"] == ["new"]
    if isinstance(store_location, Path):
        sqlite = sqlite3.connect(store_location)
        [ddl] = sqlite.execute("SELECT sql FROM sqlite_master WHERE name = 'bodies'").fetchone()
        assert "WITHOUT ROWID" not in ddl
        # The old table's pages went back to the disk, not to the file's free list.
        assert sqlite.execute("PRAGMA freelist_count").fetchone() == (0,)


def _written_by_version(
    version: int, location: str | Path, items: list[Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store at ``version`` (4 or 5) holding ``items`` as that version wrote them,
    marked with "Outcome:": type, status, team and author in columns of their own."""
    from tieback.model import marker_lines
    from tieback.store import SEP, migrations

    rows = [
        (
            *(i.source, i.key, "q", i.title, i.url, i.type, i.status, int(i.done)),
            *(SEP.join(i.labels), SEP.join(i.field_refs), marker_lines(i.body, "outcome:")),
            *(i.parent, i.points, i.team, i.author, i.updated),
        )
        for i in items
    ]
    bodies = [(i.source, i.key, i.body) for i in items if i.body]
    with monkeypatch.context() as old:
        old.setattr(migrations, "_MIGRATIONS", migrations._MIGRATIONS[:version])
        old.setattr(migrations, "SCHEMA_VERSION", version)
        with Store.open(location) as store, store.transaction():
            store.mark_with("Outcome:")
            store._engine.executemany(
                "INSERT INTO items (source, key, query, title, url, type, status, done, labels, "
                "field_refs, marks, parent, points, team, author, updated) VALUES "
                f"({', '.join('?' * 16)})",
                rows,
            )
            if bodies:
                store._engine.executemany(
                    "INSERT INTO bodies (source, key, body) VALUES (?, ?, ?)", bodies
                )


def test_a_version_5_store_keeps_every_type_status_team_and_author(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tieback.store import SEP

    items = [
        item("EDU-1", type="Story", status="In Progress", team="Growth", author="ann"),
        item("EDU-2", type="Bug", status="To Do", team="", author="", body="x\nOutcome: a"),
        item("EDU-3", type="Story", status="In Progress", team="Growth", author="bob"),
        item("EDU-4", type="Épica", status="Готово", team="Équipe 学习", author="zoë"),
        # A separator in a name (never seen in a tracker) stays in the last one.
        item("EDU-5", type="Task", status="Done", team="Core", author=f"x{SEP}y"),
    ]
    _written_by_version(5, store_location, items, monkeypatch)
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert sorted(store.items(), key=lambda i: i.key) == items
        lean = sorted(store.items(body_marker="Outcome:", stamped=False), key=lambda i: i.key)
        assert [(i.type, i.status, i.team, i.author) for i in lean] == [
            (i.type, i.status, i.team, i.author) for i in items
        ]
        assert lean[1].body == "Outcome: a"
        # Written again by this version, the separator becomes a space: the other
        # names keep their places.
        store.upsert_items("q", [items[4]])
        [again] = [i for i in store.items() if i.key == "EDU-5"]
        assert (again.team, again.author) == ("Core", "x y")


def test_the_schema_is_migrated_on_both_engines(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
    with Store.open(store_location) as store:  # opening again migrates nothing
        assert store.schema_version == SCHEMA_VERSION


def test_a_postgresql_url_never_shows_its_password() -> None:
    from tieback.store import safe_location

    url = "postgresql://ci:s3cret-pass@db.example:5432/tieback?sslmode=require"
    assert safe_location(url) == "postgresql://db.example:5432/tieback"


def test_an_unreachable_postgresql_is_one_clear_error() -> None:
    pytest.importorskip("psycopg")
    url = "postgresql://u:hunter22@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(StoreError) as raised, Store.open(url):
        pass
    message = str(raised.value)
    assert message.startswith("postgresql://127.0.0.1:1/none: cannot connect")
    assert "hunter22" not in message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(
            "{}{}{}".format,
            st.sampled_from(["acme/app", "Acme/App", "acme/web", "acme/app2", "", "x"]),
            st.sampled_from(["#", "", "##"]),
            st.integers(min_value=0, max_value=30).map(str),
        ),
        unique=True,
    )
)
def test_key_counts_agree_with_group_of_for_any_keys(keys: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "s.db") as store:
        store.upsert_items("repos", [item(key, source="github") for key in keys if key])
        expected = Counter(group_of(key, "#") for key in keys if key)
        assert store.key_counts("github", "repos", "#") == dict(expected)


def test_a_version_6_store_keeps_its_items_queries_and_completed_syncs(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tieback.store import SEP, migrations

    with monkeypatch.context() as old:
        old.setattr(migrations, "_MIGRATIONS", migrations._MIGRATIONS[:6])
        old.setattr(migrations, "SCHEMA_VERSION", 6)
        with Store.open(store_location) as store:
            facets = SEP.join(("Story", "To Do", "Growth", "ann"))
            store._engine.executemany(
                "INSERT INTO items (source, key, query, title, url, facets, done, labels, "
                "field_refs, marks, parent, points, updated) VALUES "
                "('jira', ?, 'q', 't', 'u', ?, 0, '', '', '', NULL, NULL, '')",
                [("EDU-1", facets), ("EDU-2", facets)],
            )
            store._engine.execute(
                "INSERT INTO bodies (source, key, body) VALUES ('jira', 'EDU-1', 'Outcome: a')"
            )
            store.set_cursor("jira", "q", "2026-11-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00")
            store._engine.execute(
                "INSERT INTO snapshots (taken_at, kind, data) VALUES ('2026-11-01', 'audit', '{}')"
            )
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.keys("jira", "q") == {"EDU-1", "EDU-2"}
        assert [i.body for i in store.items(scopes=[("jira", "q")])] == ["Outcome: a", ""]
        state = store.sync_state("jira", "q")
        assert state is not None and state.complete
        assert state.completed_at == "2026-11-01T00:00:00+00:00"
        # Snapshots from before scopes belong to every configuration's history.
        assert len(store.snapshots(scope="any configuration")) == 1


def test_a_version_7_store_keeps_its_items_and_gives_them_no_done_date(
    store_location: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tieback.store import SEP, migrations

    with monkeypatch.context() as old:
        old.setattr(migrations, "_MIGRATIONS", migrations._MIGRATIONS[:7])
        old.setattr(migrations, "SCHEMA_VERSION", 7)
        with Store.open(store_location) as store:
            facets = SEP.join(("Story", "Done", "Growth", "ann"))
            store._engine.executemany(
                "INSERT INTO items (source, key, query, title, url, facets, done, labels, "
                "field_refs, marks, parent, points, updated) VALUES "
                "('jira', ?, 'q', 't', 'u', ?, 1, 'outcome:a', '', '', NULL, 2.0, ?)",
                [("EDU-1", facets, "2026-11-01T00:00:00.000+0000"), ("EDU-2", facets, "")],
            )
    with Store.open(store_location) as store:
        assert store.schema_version == SCHEMA_VERSION
        found = sorted(store.items(scopes=[("jira", "q")]), key=lambda i: i.key)
        assert [(i.key, i.done, i.labels, i.points, i.updated) for i in found] == [
            ("EDU-1", True, ("outcome:a",), 2.0, "2026-11-01T00:00:00.000+0000"),
            ("EDU-2", True, ("outcome:a",), 2.0, ""),
        ]
        # Stores written before done dates have none until the next sync writes them.
        assert [i.done_at for i in found] == ["", ""]
        store.upsert_items("q", [found[0]._replace(done_at="2026-10-31T12:00:00.000+0000")])
        [dated] = [i for i in store.items() if i.key == "EDU-1"]
        assert dated.done_at == "2026-10-31T12:00:00.000+0000"
        # ...and it takes metric readings.
        store.add_reading("activation", "2026-09-01", 36.0, "2026-09-01T10:00:00+00:00")
        assert list(store.readings()) == ["activation"]


def test_a_sync_that_never_ended_is_running_and_a_failed_one_keeps_the_last_success(
    store_location: str | Path,
) -> None:
    with Store.open(store_location) as store:
        store.begin_sync("jira", "q", "2026-12-01T10:00:00+00:00")
        store.end_sync("jira", "q", "2026-12-01T10:05:00+00:00")
        store.begin_sync("jira", "q", "2026-12-02T10:00:00+00:00")
        running = store.sync_state("jira", "q")
        assert running is not None and running.state == "running" and not running.complete
        store.end_sync("jira", "q", "2026-12-02T10:01:00+00:00", error="HTTP 500")
        failed = store.sync_state("jira", "q")
        assert failed is not None
        assert (failed.state, failed.error) == ("failed", "HTTP 500")
        assert failed.completed_at == "2026-12-01T10:05:00+00:00"
        assert store.sync_state("jira", "other") is None


def test_a_lease_is_one_holders_until_it_expires(store_location: str | Path) -> None:
    with Store.open(store_location) as store:
        assert store.take_lease("post:jira", "run-a", until=100.0, now=50.0) == "run-a"
        assert store.take_lease("post:jira", "run-b", until=110.0, now=60.0) == "run-a"
        assert store.take_lease("post:jira", "run-a", until=120.0, now=70.0) == "run-a"  # renewed
        assert store.take_lease("post:github", "run-b", until=110.0, now=60.0) == "run-b"
        assert store.take_lease("post:jira", "run-b", until=200.0, now=121.0) == "run-b"  # expired
        store.drop_lease("post:jira", "run-a")  # not run-a's any more: nothing happens
        assert store.take_lease("post:jira", "run-c", until=300.0, now=130.0) == "run-b"
        store.drop_lease("post:jira", "run-b")
        assert store.take_lease("post:jira", "run-c", until=300.0, now=130.0) == "run-c"


def test_a_store_another_run_holds_is_waited_for_then_named_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from tieback.store import engines

    path = tmp_path / "store.db"
    with Store.open(path):
        pass
    monkeypatch.setattr(engines, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run in the middle of a write
    try:
        with pytest.raises(StoreError) as raised, Store.open(path) as store:
            store.upsert_items("q", [item("EDU-1")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(raised.value)
    assert "another tieback run is writing to the store" in message
    assert "--full" not in message and "move it aside" not in message


def test_a_reading_of_a_day_already_kept_replaces_it(store_location: str | Path) -> None:
    from datetime import date

    from tieback.progress import Reading

    with Store.open(store_location) as store:
        assert store.readings() == {}
        assert (
            store.add_reading("activation", "2026-09-02", 37.5, "2026-09-02T09:00:00+00:00") is None
        )
        assert (
            store.add_reading("activation", "2026-09-01", 36.0, "2026-09-02T09:01:00+00:00") is None
        )
        assert (
            store.add_reading("engagement", "2026-09-01", 1.0e6, "2026-09-02T09:02:00+00:00")
            is None
        )
        replaced = store.add_reading("activation", "2026-09-02", 38.0, "2026-09-03T09:00:00+00:00")
        assert replaced == 37.5
    with Store.open(store_location) as store:
        assert store.readings() == {
            "activation": [Reading(date(2026, 9, 1), 36.0), Reading(date(2026, 9, 2), 38.0)],
            "engagement": [Reading(date(2026, 9, 1), 1.0e6)],
        }


@pytest.mark.parametrize("variables", [None, 999])  # SQLite before 3.32 allowed 999
def test_a_page_of_many_items_is_written_whole_whatever_a_statement_may_hold(
    tmp_path: Path, variables: int | None
) -> None:
    # Pages are written many rows a statement: past the rows one statement holds, the
    # same key twice in one page (the second wins), and descriptions set and emptied.
    first = [item(f"EDU-{n}", body=f"Outcome: a{n}", points=float(n)) for n in range(1, 2502)]
    with Store.open(tmp_path / "s.db") as store:
        if variables is not None:
            store._engine.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)
        store.upsert_items("q", first)
        again = [
            item("EDU-7", body="", title="Emptied"),
            item("EDU-8", body="Outcome: b", title="Changed"),
            item("EDU-8", body="Outcome: c", title="Changed twice"),
            item("EDU-9999", body="Outcome: d"),
        ]
        assert store.upsert_items("q", again) == 4
        stored = {i.key: i for i in store.items()}
    assert len(stored) == 2502
    assert (stored["EDU-7"].title, stored["EDU-7"].body) == ("Emptied", "")
    assert (stored["EDU-8"].title, stored["EDU-8"].body) == ("Changed twice", "Outcome: c")
    assert stored["EDU-2501"] == first[-1]
    assert stored["EDU-9999"].body == "Outcome: d"


def test_a_page_reaches_its_stored_rows_by_their_keys_not_by_reading_the_table(
    tmp_path: Path,
) -> None:
    # A page's statements find its rows through the primary keys: one that read the
    # whole table (a blank description's delete did, 16 ms a page at 100,000 items)
    # would make every page cost as much as the store is big.
    with Store.open(tmp_path / "s.db") as store:
        store.upsert_items("q", [item(f"EDU-{n}", body=f"Outcome: a{n}") for n in range(200)])
        connection = store._engine.connection
        statements: list[str] = []
        connection.set_trace_callback(statements.append)
        page = [item("EDU-1", body=""), item("EDU-2", body="Outcome: b"), item("EDU-900")]
        store.upsert_items("q", page)
        store.known_keys("jira", "q", ["EDU-1", "EDU-900"])
        connection.set_trace_callback(None)
        written = [s for s in statements if s.split(None, 1)[0] in {"INSERT", "DELETE", "SELECT"}]
        assert any(s.startswith("DELETE FROM bodies") for s in written)
        for statement in written:
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
            scans = [step for step in plan if re.match(r"SCAN (items|bodies)\b", step)]
            assert not scans, f"{statement[:60]}: {plan}"
