"""The merged output of a batch: tables, failures, and how they are written."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradecost.batch.runner import TaskResult
from tradecost.errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class BatchResult:
    """Every task's rows merged in task order: the same whatever ran them.

    ``table`` is the analysis (one row per instrument/day/side/size for costs, per pair and
    period for pairs), ``health`` the per-input health rows, ``failures`` one row per task that
    failed, with its error. All three are pandas DataFrames.
    """

    kind: str
    tasks: tuple[TaskResult, ...]

    @classmethod
    def merge(cls, kind: str, results: Sequence[TaskResult]) -> BatchResult:
        return cls(kind, tuple(results))

    @property
    def table(self) -> pd.DataFrame:
        return _frame([row for result in self.tasks for row in result.rows])

    @property
    def health(self) -> pd.DataFrame:
        return _frame([row for result in self.tasks for row in result.health])

    @property
    def failures(self) -> pd.DataFrame:
        return _frame(
            [{"task": result.task, "error": result.error} for result in self.tasks if not result.ok]
        )

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, the failed tasks and their errors (no timings, so two
        runs of the same batch summarise identically)."""
        failed = [result for result in self.tasks if not result.ok]
        return {
            "kind": self.kind,
            "tasks": len(self.tasks),
            "succeeded": len(self.tasks) - len(failed),
            "failed": len(failed),
            "rows": sum(len(result.rows) for result in self.tasks),
            "failures": {result.task: result.error for result in failed},
        }

    def write(self, out_dir: str | Path, fmt: str = "parquet") -> dict[str, Path]:
        """Write ``<kind>.<fmt>``, ``health.<fmt>`` and ``summary.json`` into ``out_dir``."""
        if fmt not in FORMATS:
            raise InvalidInputError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, frame in ((self.kind, self.table), ("health", self.health)):
            path = out / f"{name}.{fmt}"
            if fmt == "csv":
                frame.to_csv(path, index=False)
            else:
                try:
                    frame.to_parquet(path, index=False)
                except ImportError as exc:
                    raise InvalidInputError(
                        'Parquet needs pyarrow: pip install "tradecost[parquet]" (or --format csv)'
                    ) from exc
            written[name] = path
        summary_path = out / "summary.json"
        summary_path.write_text(
            json.dumps(_finite(self.summary()), indent=2, sort_keys=True) + "\n"
        )
        written["summary"] = summary_path
        return written


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(rows)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value
