"""The staging engine on its own: a tiny inline contract, raw rows from Arrow, one negative case
each (a type rule, a group rule, a duplicate key), cast overrides, the contract check and
publishing (partitions, validation_results, manifests)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.contracts import Column, Table, quarantine_of
from pipeline.staging.engine import (
    ContractBreak,
    Staged,
    StageError,
    load_arrow,
    publish,
    stage,
)
from pipeline.staging.rules import Rule, schema_rules
from pipeline.warehouse.catalog import connect
from pipeline.warehouse.storage import Partition, Warehouse

DT = date(2026, 3, 1)
THINGS = Table(
    name="things",
    layer="source",
    key=("id",),
    columns=(
        Column("id", "string", False),
        Column("n", "int64"),
        Column("g", "string"),
        Column("v", "float64"),
    ),
)
#: the shares of one group must not exceed 1 (a window: every row of a group counts)
GROUP = Rule("group_over_1", 'coalesce(sum("v") over (partition by "g") > 1, false)')


def run(rows: list[dict[str, Any]], rules: list[Rule] | None = None, **kwargs: Any) -> Staged:
    data = pa.Table.from_pylist(
        rows, schema=pa.schema([(c, pa.string()) for c in THINGS.column_names])
    )
    con = connect()
    try:
        load_arrow(con, THINGS, data, run_id="run-1", source="test", file="f.csv")
        rules = schema_rules(THINGS) + [GROUP] if rules is None else rules
        return stage(con, THINGS, rules, DT, "run-1", **kwargs)
    finally:
        con.close()


def thing(
    i: str | None, n: str | None = "1", g: str | None = None, v: str | None = None
) -> dict[str, Any]:
    return {"id": i, "n": n, "g": g, "v": v}


def ids(table: pa.Table) -> list[str]:
    return table.column("id").to_pylist()


def unexpected(s: Staged) -> dict[str, int | None]:
    return {r.expectation: r.unexpected_count for r in s.records if not r.success}


def test_clean_rows_are_cast_and_keep_their_order() -> None:
    s = run([thing("b", "2", "x", "0.5"), thing("a", "-3")])
    assert s.rows.schema == THINGS.schema
    assert s.rows.to_pylist() == [
        {"id": "b", "n": 2, "g": "x", "v": 0.5},
        {"id": "a", "n": -3, "g": None, "v": None},
    ]
    assert (s.raw_rows, s.quarantined.num_rows, s.duplicates) == (2, 0, 0)
    assert s.result().reconciles() and unexpected(s) == {}


def test_a_type_failure_is_quarantined_with_its_raw_text_and_lineage() -> None:
    s = run([thing("a"), thing("b", "12k")])
    assert ids(s.rows) == ["a"]
    assert s.quarantined.schema == quarantine_of(THINGS).schema
    assert s.quarantined.to_pylist() == [
        {"id": "b", "n": "12k", "g": None, "v": None, "_reasons": "type:n", "_run_id": "run-1",
         "_source": "test", "_file": "f.csv", "_page": None, "_pos": 2}
    ]  # fmt: skip
    assert unexpected(s) == {"type:n": 1}
    assert {r.element_count for r in s.records} == {2}
    assert {(r.table, r.dt, r.source, r.severity) for r in s.records} == {
        ("things", DT, "quarantine", "row")
    }


def test_a_group_rule_quarantines_the_whole_group() -> None:
    rows = [thing("a", g="x", v="0.6"), thing("b", g="y", v="0.6"), thing("c", g="x", v="0.6")]
    s = run(rows)
    assert ids(s.rows) == ["b"]
    assert [(q["id"], q["_reasons"]) for q in s.quarantined.to_pylist()] == [
        ("a", "group_over_1"),
        ("c", "group_over_1"),
    ]
    assert unexpected(s) == {"group_over_1": 2}


def test_a_group_rule_may_read_raw_text() -> None:
    # like orders' duplicate_order_id_conflict: two different versions of one key
    conflict = Rule("conflict", 'count(distinct "r_n") over (partition by "id") > 1')
    s = run([thing("a", "1"), thing("a", "2"), thing("b")], schema_rules(THINGS) + [conflict])
    assert ids(s.rows) == ["b"]
    assert unexpected(s) == {"conflict": 2}


def test_a_duplicate_key_keeps_the_latest_row() -> None:
    s = run([thing("a", "1"), thing("b"), thing("a", "3")])
    assert s.rows.to_pylist() == [
        {"id": "b", "n": 1, "g": None, "v": None},
        {"id": "a", "n": 3, "g": None, "v": None},
    ]
    assert (s.raw_rows, s.rows.num_rows, s.quarantined.num_rows, s.duplicates) == (3, 2, 0, 1)
    assert s.result().reconciles()


def test_cast_overrides_read_a_source_s_text() -> None:
    rows = [thing("a", "1_000"), thing("b", "x")]
    assert ids(run(rows).rows) == []  # the default cast keeps exact integers only
    s = run(rows, casts={"n": "try_cast(replace(\"r_n\", '_', '') as bigint)"})
    assert s.rows.column("n").to_pylist() == [1000]
    assert unexpected(s) == {"type:n": 1}
    with pytest.raises(ValueError, match="unknown column"):
        run(rows, casts={"nope": "1"})


def test_a_required_column_null_in_every_row_breaks_the_contract_where_asked() -> None:
    rows = [thing(None), thing(None)]
    with pytest.raises(ContractBreak, match="things 2026-03-01: required column.*id"):
        run(rows, check_contract=True)
    s = run(rows)  # orders and file drops: the rows are quarantined instead
    assert unexpected(s) == {"required:id": 2}


def test_publish_writes_partitions_results_and_counts(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    s = run([thing("a"), thing("b", "x"), thing("a")])
    result = publish(wh, s, keys={"source": "s1"}, extra={"file": "f.csv"})
    assert (result.raw_rows, result.staged_rows, result.quarantined_rows) == (3, 1, 1)
    staged = Partition.of("staging", "stg_things", DT, source="s1")
    quarantined = Partition.of("quarantine", "things", DT, source="s1")
    assert ids(wh.read_partition(staged)) == ["a"]
    assert wh.read_partition(quarantined).schema == quarantine_of(THINGS).schema
    for part in (staged, quarantined):
        m = wh.read_manifest(part)
        assert m is not None and m["file"] == "f.csv"
        assert m["raw_rows"] == m["staged_rows"] + m["quarantined_rows"] + m["duplicate_rows"]
    results = Partition.of("meta", "validation_results", DT, table="things", source="quarantine")
    rows = wh.read_partition(results).to_pylist()
    assert {(r["expectation"], r["unexpected_count"]) for r in rows if not r["success"]} == {
        ("type:n", 1)
    }
    assert {r["element_count"] for r in rows} == {3}


def test_publish_hands_rows_to_the_source_and_keeps_a_results_file_per_sub_partition(
    tmp_path: Path,
) -> None:
    wh = Warehouse(tmp_path)
    got: list[pa.Table] = []
    publish(wh, run([thing("a")]), write_rows=got.append, keys={"source": "s1"}, results_file="s1")
    publish(wh, run([thing("b", "x")]), keys={"source": "s2"}, results_file="s2")
    assert [ids(t) for t in got] == [["a"]]
    assert not wh.exists(Partition.of("staging", "stg_things", DT, source="s1"))
    results = Partition.of("meta", "validation_results", DT, table="things", source="quarantine")
    rows = wh.read_partition(results, columns=["_slice", "expectation", "success"])
    assert sorted(set(rows["_slice"].to_pylist())) == ["s1.parquet", "s2.parquet"]
    failed = rows.filter(pc.equal(rows["_slice"], "s2.parquet")).to_pylist()
    assert [r["expectation"] for r in failed if not r["success"]] == ["type:n"]


def test_counts_that_do_not_reconcile_write_nothing(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path)
    s = run([thing("a"), thing("b")])
    with pytest.raises(StageError, match="do not reconcile: landed 3, read 2"):
        publish(wh, s, landed=3)
    with pytest.raises(StageError, match="do not reconcile: read 2, staged 2"):
        publish(wh, dataclasses.replace(s, duplicates=1))
    assert not (tmp_path / "staging").exists() and not (tmp_path / "quarantine").exists()
