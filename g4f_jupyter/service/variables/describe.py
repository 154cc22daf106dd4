"""What a model should know about one value: its kind of data, its size, and a small sample.

DataFrames (pandas, polars) give their dtypes and first rows as a Markdown table; numpy arrays
their shape, dtype and first values; mappings their first keys; anything else a repr cut
short by :mod:`reprlib` (which never builds the whole text of a long list or string). The
data libraries are looked up in ``sys.modules``: a value can only be a pandas DataFrame if
pandas is already imported, so nothing is imported here.
"""

from __future__ import annotations

import itertools
import reprlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .timebox import Deadline

__all__ = ["Description", "Limits", "describe", "markdown_table", "type_name"]


@dataclass(frozen=True)
class Limits:
    """How much of a value is shown."""

    rows: int = 5  # first rows of a DataFrame
    columns: int = 20  # columns in that table
    dtypes: int = 50  # columns whose dtype is listed
    keys: int = 20  # first keys of a mapping
    values: int = 10  # first values of an array or series
    cell_chars: int = 40  # one table cell
    repr_chars: int = 1_500  # the repr of anything else


@dataclass
class Description:
    """The size of a value and the Markdown lines that describe it (after its title line)."""

    shape: tuple[int, ...] | None = None
    length: int | None = None
    headline: str = ""  # what follows the type in the title: "1,000 rows, 3 columns"
    lines: list[str] = field(default_factory=list)


def type_name(value: Any) -> str:
    """``pandas.DataFrame`` for a class its package exports at the top, else ``module.Class``."""
    cls = type(value)
    module, name = str(getattr(cls, "__module__", "") or ""), str(getattr(cls, "__qualname__", cls.__name__))
    if module in ("builtins", ""):
        return name
    top = module.partition(".")[0]
    package = sys.modules.get(top)
    if package is not None and vars(package).get(name) is cls:
        return f"{top}.{name}"
    return f"{module}.{name}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _cell(value: Any, limits: Limits) -> str:
    """One table cell: one line, pipes escaped, cut short."""
    text = " ".join(str(value).split())
    return _short(text, limits.cell_chars).replace("|", "\\|")


def markdown_table(header: list[str], rows: Iterable[Iterable[Any]], limits: Limits, deadline: Deadline) -> list[str]:
    """A Markdown table, one checked row at a time (a slow ``__str__`` in a cell cannot run past the deadline)."""
    lines = ["| " + " | ".join(_cell(h, limits) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        deadline.check()
        lines.append("| " + " | ".join(_cell(v, limits) for v in row) + " |")
    return lines


def _reprs(limits: Limits) -> reprlib.Repr:
    shortener = reprlib.Repr()
    shortener.maxlevel = 2
    shortener.maxlist = shortener.maxtuple = shortener.maxset = shortener.maxfrozenset = limits.values
    shortener.maxdeque = shortener.maxarray = limits.values
    shortener.maxdict = limits.keys
    shortener.maxstring = 200
    shortener.maxlong = 60
    shortener.maxother = limits.repr_chars
    return shortener


def _loaded_class(module: str, name: str) -> type | None:
    """``module.name`` if that library is already imported (never imports it)."""
    package = sys.modules.get(module)
    cls = vars(package).get(name) if package is not None else None
    return cls if isinstance(cls, type) else None


def _is(value: Any, module: str, name: str) -> bool:
    cls = _loaded_class(module, name)
    return cls is not None and issubclass(type(value), cls)


def _dtypes(pairs: Iterable[tuple[Any, Any]], total: int, limits: Limits) -> str:
    listed = [f"{_cell(name, limits)} {dtype}" for name, dtype in itertools.islice(pairs, limits.dtypes)]
    more = f", … ({total - len(listed)} more)" if total > len(listed) else ""
    return "dtypes: " + ", ".join(listed) + more


def _frame_headline(rows: int, columns: int) -> str:
    return f"{rows:,} rows, {columns:,} columns"


def _pandas_frame(df: Any, limits: Limits, deadline: Deadline) -> Description:
    rows, columns = df.shape
    head = df.iloc[: limits.rows, : limits.columns]
    lines = [_dtypes(df.dtypes.items(), columns, limits)]
    if rows and columns:
        lines += [f"first {len(head)} rows:", ""]
        lines += markdown_table(["", *head.columns], head.itertuples(index=True, name=None), limits, deadline)
    return Description((rows, columns), rows, _frame_headline(rows, columns), lines)


def _polars_frame(df: Any, limits: Limits, deadline: Deadline) -> Description:
    rows, columns = df.shape
    names = df.columns[: limits.columns]
    head = df.head(limits.rows).select(names)
    lines = [_dtypes(df.schema.items(), columns, limits)]
    if rows and columns:
        lines += [f"first {head.height} rows:", ""]
        lines += markdown_table(list(names), head.iter_rows(), limits, deadline)
    return Description((rows, columns), rows, _frame_headline(rows, columns), lines)


def _series(series: Any, values: list[Any], limits: Limits) -> Description:
    length = len(series)
    named = f", name {_cell(series.name, limits)}" if series.name is not None else ""
    lines = [f"first {len(values)} values: {_reprs(limits).repr(values)}"] if values else []
    return Description((length,), length, f"{length:,} values, dtype {series.dtype}{named}", lines)


def _numpy_array(array: Any, limits: Limits) -> Description:
    shape = tuple(int(n) for n in array.shape)
    sample = array.flat[: limits.values].tolist()  # copies only the sample, whatever the layout
    headline = f"shape {shape}, dtype {array.dtype}, {array.nbytes / 2**20:,.1f} MiB"
    lines = [f"first {len(sample)} values (flattened): {_reprs(limits).repr(sample)}"] if sample else []
    return Description(shape, shape[0] if shape else None, headline, lines)


def _mapping(mapping: Mapping[Any, Any], limits: Limits) -> Description:
    length = len(mapping)
    keys = list(itertools.islice(iter(mapping), limits.keys))
    shortener = _reprs(limits)
    listed = ", ".join(_short(shortener.repr(key), limits.cell_chars) for key in keys)
    more = ", …" if length > len(keys) else ""
    lines = [f"first {len(keys)} keys: {listed}{more}"] if keys else []
    return Description(None, length, f"{length:,} keys", lines)


def _fenced(text: str) -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [f"{fence}text", text, fence]


def _anything(value: Any, limits: Limits) -> Description:
    cls = type(value)
    length = len(value) if hasattr(cls, "__len__") else None
    shape = getattr(value, "shape", None) if hasattr(cls, "shape") else None
    shape = tuple(shape) if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape) else None
    sizes = ([f"shape {shape}"] if shape is not None else []) + ([f"len {length:,}"] if length is not None else [])
    return Description(shape, length, ", ".join(sizes), ["repr:", *_fenced(_reprs(limits).repr(value))])


def describe(value: Any, limits: Limits, deadline: Deadline) -> Description:
    """The description of ``value`` (call it inside a time box: user code runs here)."""
    if _is(value, "pandas", "DataFrame"):
        return _pandas_frame(value, limits, deadline)
    if _is(value, "polars", "DataFrame"):
        return _polars_frame(value, limits, deadline)
    if _is(value, "pandas", "Series"):
        return _series(value, value.iloc[: limits.values].tolist(), limits)
    if _is(value, "polars", "Series"):
        return _series(value, value.head(limits.values).to_list(), limits)
    if _is(value, "numpy", "ndarray"):
        return _numpy_array(value, limits)
    if issubclass(type(value), Mapping):  # by type: an instance's own __class__ is user code
        return _mapping(value, limits)
    return _anything(value, limits)
