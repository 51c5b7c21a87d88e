"""The fraud thresholds: one GX suite, every threshold the SQL reads defined there."""

from __future__ import annotations

import json

import duckdb
import great_expectations as gx
import pytest

from pipeline.fraud import thresholds as th
from pipeline.fraud.views import all_sql, classifier_variables
from pipeline.staging.suites import SuiteError


def test_suite_loads_in_gx_whole() -> None:
    data = th.load_fraud_suite()
    suite = gx.ExpectationSuite(**data)
    assert suite.name == "fraud_flags"
    assert len(suite.expectations) == len(data["expectations"])


def test_every_expectation_flags_never_rejects() -> None:
    for e in th.load_fraud_suite()["expectations"]:
        assert e["meta"]["severity"] == "flag" and e["severity"] == "info"
        assert e["meta"]["signal"] and e["meta"]["notes"]


def test_every_variable_the_sql_reads_is_defined_once() -> None:
    values = th.thresholds()
    assert not set(values) & set(classifier_variables())
    values |= classifier_variables()
    used = set().union(*(th.sql_variables(t) for t in all_sql()))
    assert used and used <= set(values)
    assert set(values) <= used, f"defined but unused: {sorted(set(values) - used)}"
    th.check_sql(all_sql(), values)


def test_a_threshold_missing_from_the_suite_is_an_error() -> None:
    with pytest.raises(SuiteError, match="fraud_nope"):
        th.check_sql(["select getvariable('fraud_nope')"], th.thresholds())


def test_a_rejecting_fraud_expectation_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = th.load_fraud_suite()
    data["expectations"][0]["meta"]["severity"] = "row"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SuiteError, match="flag"):
        th.thresholds(th.load_fraud_suite(path))


def test_variables_are_set_on_duckdb() -> None:
    con = duckdb.connect()
    th.set_variables(con)
    assert con.execute("select getvariable('fraud_growth_z')").fetchall() == [(7.0,)]
    assert con.execute("select getvariable('fraud_authenticity_min_pct')").fetchall() == [(75.0,)]


def test_signals_listed() -> None:
    assert {"follower_spike", "ctr_outlier", "low_authenticity"} <= set(th.signals())
