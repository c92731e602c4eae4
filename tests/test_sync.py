"""The sync orchestration: cursors, overlap, removals, and a crash mid-way."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from factories import item
from tieback.config import Config, settings_model
from tieback.connectors.context import Context
from tieback.connectors.source import Page, TrackerSource
from tieback.model import Item
from tieback.store import Store
from tieback.sync import sync_source


class FakeTracker(TrackerSource):
    name = "jira"

    def __init__(self, items: list[Item], page_size: int = 2, fail_after: int | None = None):
        super().__init__(Context.of(Config(settings_model()(), None, Path.cwd()), self.name))
        self.backlog = {i.key: i for i in items}
        self.page_size = page_size
        self.fail_after = fail_after
        self.since_calls: list[str | None] = []
        self.uncountable = False
        self.counted = 0
        self.listed: list[set[str] | None] = []

    @property
    def query(self) -> str:
        return "project = EDU"

    def pages(self, since: str | None) -> Iterator[Page]:
        self.since_calls.append(since)
        chosen = [i for i in self.backlog.values() if since is None or i.updated >= since]
        for number, start in enumerate(range(0, len(chosen), self.page_size)):
            if self.fail_after is not None and number >= self.fail_after:
                raise ConnectionError("network went away")
            yield Page(chosen[start : start + self.page_size], position=f"page {number + 1}")

    def counts(self) -> dict[str, int | None]:
        self.counted += 1
        return {"": None if self.uncountable else len(self.backlog)}

    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        self.listed.append(None if groups is None else set(groups))
        return set(self.backlog)


class FakeRepos(FakeTracker):
    """Keys grouped by repository (``owner/repo#12``), as GitHub's are."""

    name = "github"
    separator = "#"

    def counts(self) -> dict[str, int | None]:
        self.counted += 1
        found: dict[str, int | None] = {"acme/app": 0, "acme/web": 0}
        for key in self.backlog:
            group = self.group(key)
            found[group] = (found[group] or 0) + 1
        return found

    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        self.listed.append(None if groups is None else set(groups))
        return {k for k in self.backlog if groups is None or self.group(k) in groups}


def clock(*moments: str) -> Iterator[datetime]:
    return iter(datetime.fromisoformat(m).replace(tzinfo=UTC) for m in moments)


def test_first_sync_is_full_then_incremental_with_overlap(tmp_path: Path) -> None:
    items = [item(f"EDU-{n}", updated=f"2026-11-0{n}T00:00:00+00:00") for n in range(1, 6)]
    tracker = FakeTracker(items)
    times = clock("2026-11-10T12:00:00", "2026-11-11T12:00:00")
    with Store.open(tmp_path / "s.db") as store:
        first = sync_source(tracker, store, now=lambda: next(times))
        assert (first.full, first.fetched, first.pages) == (True, 5, 3)
        tracker.backlog["EDU-9"] = item("EDU-9", updated="2026-11-11T00:00:00+00:00")
        second = sync_source(tracker, store, now=lambda: next(times))
        assert tracker.since_calls == [None, "2026-11-10T11:55:00+00:00"]
        assert (second.full, second.fetched) == (False, 1)
        assert store.count() == 6


def test_items_that_left_the_query_are_removed(tmp_path: Path) -> None:
    tracker = FakeTracker([item("EDU-1"), item("EDU-2"), item("EDU-3")])
    with Store.open(tmp_path / "s.db") as store:
        sync_source(tracker, store)
        del tracker.backlog["EDU-2"]
        result = sync_source(tracker, store)
        assert result.removed == 1
        assert store.keys("jira") == {"EDU-1", "EDU-3"}


def test_an_incremental_sync_reads_no_key_when_the_count_matches(tmp_path: Path) -> None:
    tracker = FakeTracker([item("EDU-1"), item("EDU-2")])
    with Store.open(tmp_path / "s.db") as store:
        sync_source(tracker, store)
        tracker.backlog["EDU-3"] = item("EDU-3", updated="2099-01-01T00:00:00+00:00")
        result = sync_source(tracker, store)
        assert (result.fetched, result.removed) == (1, 0)
        assert (tracker.counted, tracker.listed) == (1, [])
        assert store.keys("jira") == {"EDU-1", "EDU-2", "EDU-3"}


def test_an_item_that_left_while_another_came_is_still_removed(tmp_path: Path) -> None:
    tracker = FakeTracker([item("EDU-1"), item("EDU-2")])
    with Store.open(tmp_path / "s.db") as store:
        sync_source(tracker, store)
        del tracker.backlog["EDU-1"]
        tracker.backlog["EDU-3"] = item("EDU-3", updated="2099-01-01T00:00:00+00:00")
        result = sync_source(tracker, store)
        assert result.removed == 1 and tracker.listed == [{""}]
        assert store.keys("jira") == {"EDU-2", "EDU-3"}


def test_a_tracker_that_cannot_count_lists_its_keys(tmp_path: Path) -> None:
    tracker = FakeTracker([item("EDU-1"), item("EDU-2")])
    with Store.open(tmp_path / "s.db") as store:
        sync_source(tracker, store)
        tracker.uncountable = True
        assert sync_source(tracker, store).removed == 0
        assert tracker.listed == [{""}]


def test_only_the_groups_whose_count_differs_are_listed_and_pruned(tmp_path: Path) -> None:
    keys = ["acme/app#1", "acme/app#2", "Acme/Web#1", "acme/web#2"]
    tracker = FakeRepos([item(key, source="github") for key in keys])
    with Store.open(tmp_path / "s.db") as store:
        store.upsert_items("files", [item("acme/web#9", source="github")])  # an export's
        sync_source(tracker, store)
        del tracker.backlog["Acme/Web#1"]
        result = sync_source(tracker, store)
        assert result.removed == 1
        assert tracker.listed == [{"acme/web"}]
        assert store.keys("github") == {"acme/app#1", "acme/app#2", "acme/web#2", "acme/web#9"}


def test_the_counts_kept_through_an_incremental_sync_match_the_store(tmp_path: Path) -> None:
    # The store is counted beside the first requests; each page adds the keys it stores
    # for the first time: new ones, in a group new to the store too, not changed ones,
    # and a key that two pages both bring (the listing's overlap) once.
    tracker = FakeRepos([item("acme/app#1", source="github"), item("acme/app#2", source="github")])
    with Store.open(tmp_path / "s.db") as store:
        sync_source(tracker, store)
        later = "2099-01-01T00:00:00+00:00"
        for key in ("acme/app#2", "acme/app#3", "acme/web#1"):
            tracker.backlog[key] = item(key, source="github", updated=later)
        pages = tracker.pages

        def overlapping(since: str | None) -> Iterator[Page]:
            for page in pages(since):
                yield page
                yield Page(page.items[:1], position="again")

        tracker.pages = overlapping  # type: ignore[method-assign]
        result = sync_source(tracker, store)
        assert (result.removed, tracker.listed) == (0, [])  # the counts agreed
        assert store.key_counts("github", tracker.query, "#") == {"acme/app": 3, "acme/web": 1}
        del tracker.backlog["acme/web#1"]
        assert sync_source(tracker, store).removed == 1
        assert tracker.listed == [{"acme/web"}]


def test_a_full_sync_removes_what_it_did_not_list_and_keeps_export_copies(
    tmp_path: Path,
) -> None:
    tracker = FakeTracker([item("EDU-1"), item("EDU-2"), item("EDU-3")])
    with Store.open(tmp_path / "s.db") as store:
        store.upsert_items("files", [item("EDU-8")])
        assert sync_source(tracker, store, full=True).removed == 0
        del tracker.backlog["EDU-2"]
        assert sync_source(tracker, store, full=True).removed == 1
        assert store.keys("jira") == {"EDU-1", "EDU-3", "EDU-8"}
        assert tracker.counted == 0  # a full listing needs no count


def test_a_crash_mid_sync_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    items = [item(f"EDU-{n}", updated="2026-11-01T00:00:00+00:00") for n in range(1, 8)]
    with Store.open(tmp_path / "s.db") as store:
        with pytest.raises(ConnectionError):
            sync_source(FakeTracker(items, fail_after=2), store)
        assert store.count() == 4  # two whole pages committed
        assert store.cursor("jira", "project = EDU") is None  # the cursor did not move
        result = sync_source(FakeTracker(items), store)
        assert result.full and result.fetched == 7
        assert sorted(store.keys("jira")) == sorted(i.key for i in items)


def test_points_that_are_no_estimate_are_stored_as_unestimated_and_said_once(
    tmp_path: Path,
) -> None:
    """A tracker's number field may hold "inf", "nan" (Jira takes them as text) or a
    negative number: as weights they would make every total and coverage NaN or wrong."""
    tracker = FakeTracker(
        [
            item("EDU-1", points=float("inf")),
            item("EDU-2", points=float("nan")),
            item("EDU-3", points=-3.0),
            item("EDU-4", points=5.0),
            item("EDU-5", points=0.0),
        ]
    )
    with Store.open(tmp_path / "s.db") as store:
        result = sync_source(tracker, store)
        points = {i.key: i.points for i in store.items()}
    assert points == {"EDU-1": None, "EDU-2": None, "EDU-3": None, "EDU-4": 5.0, "EDU-5": 0.0}
    assert result.warnings == (
        "jira: 3 items have story points that are not a finite number of 0 or more "
        "(e.g. EDU-1); counted as unestimated",
    )
