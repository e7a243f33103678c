"""Data-quality results of a dataset, per column, from its ``dataQualityAssertions`` and
``dataQualityMetrics`` facets (OpenLineage's input-dataset facets, kept with the dataset)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Metrics of a column, in the order the console shows them, with the facet's key for each.
METRIC_KEYS = (
    ("count", "count"),
    ("nulls", "nullCount"),
    ("distinct", "distinctCount"),
    ("sum", "sum"),
    ("min", "min"),
    ("max", "max"),
)


@dataclass(frozen=True, slots=True)
class Assertion:
    """One test and whether it passed (None when the facet does not say)."""

    assertion: str
    success: bool | None
    column: str | None = None
    name: str | None = None
    severity: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnQuality:
    """A column's metrics (label and value, in ``METRIC_KEYS`` order), quantiles and assertions."""

    column: str
    metrics: tuple[tuple[str, float], ...] = ()
    quantiles: tuple[tuple[str, float], ...] = ()
    assertions: tuple[Assertion, ...] = ()


@dataclass(frozen=True, slots=True)
class DataQuality:
    """A dataset's data-quality results: dataset-wide figures and tests, then column by column."""

    row_count: int | None
    bytes: int | None
    file_count: int | None
    assertions: tuple[Assertion, ...]
    columns: tuple[ColumnQuality, ...]

    @property
    def failed(self) -> int:
        """How many assertions, dataset-wide and per column, failed."""
        every = [*self.assertions, *(a for c in self.columns for a in c.assertions)]
        return sum(1 for a in every if a.success is False)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _assertions(facet: Any) -> list[Assertion]:
    found = []
    for raw in (facet or {}).get("assertions") or [] if isinstance(facet, dict) else []:
        if isinstance(raw, dict) and isinstance(raw.get("assertion"), str):
            success = raw.get("success")
            found.append(
                Assertion(
                    assertion=raw["assertion"],
                    success=success if isinstance(success, bool) else None,
                    column=_text(raw.get("column")),
                    name=_text(raw.get("name")),
                    severity=_text(raw.get("severity")),
                    description=_text(raw.get("description")),
                )
            )
    return found


def _by_quantile(item: tuple[str, Any]) -> tuple[float, str]:
    try:
        return float(item[0]), item[0]
    except ValueError:
        return float("inf"), item[0]


def _column(column: str, raw: Any, assertions: list[Assertion]) -> ColumnQuality:
    raw = raw if isinstance(raw, dict) else {}
    metrics = tuple(
        (label, value) for label, key in METRIC_KEYS if (value := _number(raw.get(key))) is not None
    )
    quantiles = raw.get("quantiles")
    return ColumnQuality(
        column=column,
        metrics=metrics,
        quantiles=tuple(
            (str(q), value)
            for q, v in sorted((quantiles if isinstance(quantiles, dict) else {}).items(), key=_by_quantile)
            if (value := _number(v)) is not None
        ),
        assertions=tuple(a for a in assertions if a.column == column),
    )


def data_quality(facets: Mapping[str, Any]) -> DataQuality | None:
    """The results the facets carry, column by column in first-seen order; None when they carry none.

    >>> dq = data_quality({
    ...     "dataQualityMetrics": {"rowCount": 10, "columnMetrics": {"id": {"nullCount": 0}}},
    ...     "dataQualityAssertions": {"assertions": [
    ...         {"assertion": "not_null", "success": True, "column": "id"},
    ...         {"assertion": "row_count", "success": False}]},
    ... })
    >>> dq.row_count, [a.assertion for a in dq.assertions], dq.columns[0].metrics, dq.failed
    (10, ['row_count'], (('nulls', 0.0),), 1)
    >>> data_quality({"schema": {}}) is None
    True
    """
    metrics = facets.get("dataQualityMetrics")
    assertions_facet = facets.get("dataQualityAssertions")
    if not isinstance(metrics, dict) and not isinstance(assertions_facet, dict):
        return None
    metrics = metrics if isinstance(metrics, dict) else {}
    assertions = _assertions(assertions_facet)
    per_column = metrics.get("columnMetrics")
    per_column = per_column if isinstance(per_column, dict) else {}
    columns = list(per_column)
    columns += [a.column for a in assertions if a.column is not None and a.column not in per_column]
    return DataQuality(
        row_count=_whole(metrics.get("rowCount")),
        bytes=_whole(metrics.get("bytes")),
        file_count=_whole(metrics.get("fileCount")),
        assertions=tuple(a for a in assertions if a.column is None),
        columns=tuple(_column(c, per_column.get(c), assertions) for c in dict.fromkeys(columns)),
    )
