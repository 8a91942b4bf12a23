"""Compare-and-set moves, rolled-back versions, retries and did-you-mean on a real sqlite:/// store.

Each defect of issue 22 (items 1-4) and 23.1 has a test here that failed before the fix: the
interleavings of the race tests (tests/integration/mlflow/test_races.py) are replayed in one
process by handing the move the state it was decided on (``expected``).
"""

from __future__ import annotations

import pytest

from airflow_mlmonitor.registry.actions import Audit, promote, read_history, rollback
from airflow_mlmonitor.registry.check import run_comparison
from airflow_mlmonitor.registry.errors import (
    LeaseBusyError,
    LostRaceError,
    MetricMissingError,
    ModelNotFoundError,
    RolledBackError,
)
from airflow_mlmonitor.registry.lease import Lease, LeaseConfig, is_lease_name
from airflow_mlmonitor.registry.refs import locate, newest_version_after
from tests.fixtures.mlflow import register_versions, unique_name

RULES = [{"metric": "accuracy", "min_absolute_change": 0.01}]


@pytest.fixture
def client(sqlite_client):
    return sqlite_client


def aliases(client, name):
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def champion_line(client, name, n=3):
    """A model with n versions promoted in order (champion = the last)."""
    versions = register_versions(client, name, [{"accuracy": 0.7 + i / 100} for i in range(n)])
    for i, version in enumerate(versions):
        promote(client, name, version, audit=Audit("train", f"r{i}"))
    return versions


def no_leases_left(client):
    return [m.name for m in client.search_registered_models(max_results=1000) if is_lease_name(m.name)] == []


def test_rollback_decided_before_a_promotion_loses_and_changes_nothing(client):
    """Defect 1: a rollback racing a promotion silently undid the promotion."""
    name = unique_name("race1")
    _v1, v2 = champion_line(client, name, 2)
    (v3,) = register_versions(client, name, [{"accuracy": 0.9}])
    decided = aliases(client, name)["champion"]  # the rollback reads @champion = v2 ...
    promote(client, name, v3, audit=Audit("train", "r9"))  # ... the promotion lands first
    with pytest.raises(LostRaceError, match=rf"on version {v3}, not on {v2}.*DAG run train/r9"):
        rollback(client, name, audit=Audit("monitor", "m1"), expected=decided)
    assert aliases(client, name) == {"champion": v3, "previous_champion": v2}
    assert "mlmonitor.rolled_back_at" not in client.get_model_version(name, v3).tags
    assert no_leases_left(client)


def test_promotion_decided_on_a_stale_champion_loses(client):
    """Defect 2: racing promotions left previous_champion on a version that never held champion."""
    name = unique_name("race2")
    (v1,) = champion_line(client, name, 1)
    v2, v3 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.85}])
    promote(client, name, v2, audit=Audit("a", "1"), expected=v1)
    with pytest.raises(LostRaceError, match="promotion lost the race"):
        promote(client, name, v3, audit=Audit("b", "1"), expected=v1)
    assert aliases(client, name) == {"champion": v2, "previous_champion": v1}
    assert read_history(client, name, "champion") == [v1, v2]


def test_previous_alias_never_equals_alias(client):
    name = unique_name("same")
    (v1,) = register_versions(client, name, [{"accuracy": 0.8}])
    with pytest.raises(ValueError, match="previous_alias must differ"):
        promote(client, name, v1, alias="champion", previous_alias="champion")


def test_a_retried_rollback_after_a_lost_race_does_not_roll_back_twice(client):
    """Defect 3: rollback B read @champion=v3 with A; A moved it to v2; B's retry rolled v2 back too."""
    name = unique_name("race3")
    _v1, v2, v3 = champion_line(client, name, 3)
    rollback(client, name, audit=Audit("monitor", "A"), expected=v3)
    with pytest.raises(LostRaceError):
        rollback(client, name, audit=Audit("monitor", "B"), expected=v3)
    with pytest.raises(LostRaceError, match=f"not on {v3}"):  # the retry keeps the first try's decision
        rollback(client, name, audit=Audit("monitor", "B"))
    assert aliases(client, name)["champion"] == v2
    assert "mlmonitor.rolled_back_at" not in client.get_model_version(name, v2).tags


def test_a_retried_promotion_is_a_no_op_reporting_what_happened(client):
    name = unique_name("retry")
    (v1,) = champion_line(client, name, 1)
    v2, v3 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.85}])
    first = promote(client, name, v2, audit=Audit("deploy", "run_1"))
    promote(client, name, v3, audit=Audit("deploy", "run_2"))
    retry = promote(client, name, v2, audit=Audit("deploy", "run_1"))  # must not take @champion back
    assert (first.changed, retry.already_done, retry.previous_version) == (True, True, v1)
    assert aliases(client, name)["champion"] == v3


def test_rolled_back_versions_stay_out(client):
    """Defect 4: the sensor offered a rolled-back version as newer than @champion; "latest" and
    comparisons picked it too."""
    name = unique_name("rolled")
    v1, v2 = champion_line(client, name, 2)
    rollback(client, name, audit=Audit("monitor", "m1"))  # v2 is bad: @champion back on v1
    assert newest_version_after(client, name, "@champion") is None
    assert newest_version_after(client, name, "@champion", include_rolled_back=True).version == v2
    assert locate(client, name, "latest")[0] == v1
    with pytest.raises(RolledBackError, match=f"version {v2}.*rolled back.*include_rolled_back=True"):
        run_comparison(client, name, candidate=v2, baseline="@champion", rules=RULES)
    with pytest.raises(RolledBackError):
        run_comparison(client, name, candidate="latest", baseline=v2, rules=[{"metric": "accuracy"}])
    ok = run_comparison(client, name, candidate=v2, baseline="@champion", rules=RULES, include_rolled_back=True)
    assert ok.candidate.version == v2
    (v3,) = register_versions(client, name, [{"accuracy": 0.9}])
    assert newest_version_after(client, name, "@champion").version == v3


def test_a_typo_in_the_baseline_alias_promotes_nothing(client):
    """Issue 23.1: baseline="@champoin" with promote_if_no_baseline promoted a model."""
    name = unique_name("typo")
    v1, v2 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.9}])
    promote(client, name, v1, audit=Audit("train", "r0"))
    with pytest.raises(ModelNotFoundError, match=r"no alias 'champoin'.*did you mean 'champion'\?.*'champion'"):
        run_comparison(client, name, candidate=v2, baseline="@champoin", rules=RULES,
                       promote_if_no_baseline=True, promote_to_alias="staging_test")
    assert aliases(client, name) == {"champion": v1}
    first = run_comparison(client, name, candidate=v2, baseline="@staging_test", rules=RULES,
                           promote_if_no_baseline=True, promote_to_alias="staging_test")
    assert first.baseline is None  # the alias being promoted to: a real first promotion


def test_unknown_model_and_metric_say_did_you_mean(client):
    name = unique_name("churn-classifier")
    register_versions(client, name, [{"accuracy": 0.8}])
    with pytest.raises(ModelNotFoundError, match=f"did you mean {name!r}"):
        locate(client, name[:-1], "1")
    with pytest.raises(MetricMissingError, match="did you mean 'accuracy'"):
        run_comparison(client, name, candidate="1", baseline=None, promote_if_no_baseline=True,
                       rules=[{"metric": "acuracy", "threshold": 0.5}])


def test_lease_is_exclusive_expires_and_is_taken_over_once(client):
    clock = [1000.0]
    config = LeaseConfig(ttl=10, wait=0.5, margin=1)
    kw = {"clock": lambda: clock[0], "sleep": lambda s: clock.__setitem__(0, clock[0] + s)}
    name = unique_name("lease")
    first = Lease(client, name, "A", config, **kw).acquire()
    with pytest.raises(LeaseBusyError, match="being changed by A"):
        Lease(client, name, "B", config, **kw).acquire()
    clock[0] += 20  # A crashed: its lease expired
    taker = Lease(client, name, "C", config, **kw).acquire()
    assert taker.generation == first.generation + 1
    with pytest.raises(LostRaceError, match="taken over"):
        first.check()  # a paused holder stops before writing
    taker.check()
    taker.release()
    assert [m.name for m in client.search_registered_models(max_results=1000) if is_lease_name(m.name)
            and name in m.name] == []  # the expired generation was cleaned up too


def test_a_stale_view_never_gives_a_second_holder(client):
    """Two takers of one expired generation: its successor's name can be created once. A mover
    whose view was stale (it saw no lease) finds a higher generation after creating its own and
    backs off."""
    name = unique_name("stale")
    config = LeaseConfig(ttl=60, wait=0, margin=1)
    client.create_registered_model(f"mlmonitor-lease--{name}--0", tags={
        "mlmonitor.lease.owner": "X", "mlmonitor.lease.expires_at": "0"})  # a crashed holder's lease
    holder = Lease(client, name, "H", config).acquire()
    assert holder.generation == 1
    assert Lease(client, name, "T", config)._create(1) is False  # the second taker of generation 0
    client.delete_registered_model(f"mlmonitor-lease--{name}--0")  # cleaned up meanwhile
    late = Lease(client, name, "L", config)
    assert late._create(0) is True and late._still_top(0) is False
    assert sorted(late.generations()) == [1]
    holder.check()
    holder.release()


def test_after_a_rollback_previous_champion_follows_and_never_equals_champion(client):
    """Found by the race test: a rollback left @previous_champion on the new @champion."""
    name = unique_name("follow")
    v1, v2, _v3 = champion_line(client, name, 3)
    rollback(client, name, audit=Audit("monitor", "m1"))
    assert aliases(client, name) == {"champion": v2, "previous_champion": v1}
    rollback(client, name, audit=Audit("monitor", "m2"))
    assert aliases(client, name) == {"champion": v1}
