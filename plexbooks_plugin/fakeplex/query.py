"""Plex media-query filters on listings: `addedAt>>=`, `updatedAt<<=`, `id=`, `artist.id=`, ANDed.

In a query string the operator's `=` is the key/value separator, so `addedAt>>=1700000000` arrives
as the key `addedAt>>`. Dates are epoch seconds or relative to now (`-30d`, `-2h`, `+10`, units m, h,
d, w, mon, y); `>>` is strictly after and `<<` strictly before, as PMS documents; `=` takes a
comma-separated list (OR). Parameters that are not filters (type, sort, paging, ...) are left alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_FILTER_KEY = re.compile(r"^(?:(album|artist)\.)?(addedAt|updatedAt|id)(>>|<<|!)?$")
_RELATIVE = re.compile(r"^([+-])(\d+)(mon|[smhdwy])?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mon": 2_592_000, "y": 31_536_000}
_DATE_FIELDS = frozenset({"addedAt", "updatedAt"})


class BadFilter(ValueError):
    """A filter value PMS would refuse (400)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter: `field` ("addedAt", "artist.id") compared with `op` to any of `values`."""

    field: str
    op: str  # "=", "!=", ">>", "<<"
    values: tuple[int, ...]

    def holds(self, value: int | None) -> bool:
        """Whether an item's value passes this condition (a missing value passes only `!=`)."""
        if value is None:
            return self.op == "!="
        if self.op == ">>":
            return value > self.values[0]
        if self.op == "<<":
            return value < self.values[0]
        if self.op == "!=":
            return value not in self.values
        return value in self.values


def _date_value(raw: str, now: float) -> int:
    relative = _RELATIVE.match(raw)
    if relative:
        sign, number, unit = relative.groups()
        seconds = int(number) * _UNIT_SECONDS[unit or "s"]
        return int(now) + (seconds if sign == "+" else -seconds)
    return _int_value(raw)


def _int_value(raw: str) -> int:
    try:
        return int(raw)
    except ValueError as err:
        raise BadFilter(raw) from err


def parse_filters(
    args: Iterable[tuple[str, str]], result_scope: str, now: float | None = None
) -> list[Condition]:
    """The filter conditions among query parameters, fields named as seen from `result_scope`.

    For an album listing (`result_scope` "album"), `addedAt` and `album.addedAt` are the album's,
    `artist.id` its artist's; BadFilter on a malformed value.
    """
    moment = time.time() if now is None else now
    conditions = []
    for key, raw in args:
        match = _FILTER_KEY.match(key)
        if not match:
            continue
        scope, name, operator = match.groups()
        field = name if scope in (None, result_scope) else f"{scope}.{name}"
        op = {None: "=", "!": "!=", ">>": ">>", "<<": "<<"}[operator]
        parse = _date_value if name in _DATE_FIELDS else (lambda text, _now: _int_value(text))
        parts = [p.strip() for p in raw.split(",")] if op in ("=", "!=") else [raw.strip()]
        if not parts or any(not p for p in parts):
            raise BadFilter(key)
        conditions.append(Condition(field, op, tuple(parse(p, moment) for p in parts)))
    return conditions


def apply_filters(
    items: Sequence[T], conditions: Sequence[Condition], values_of: Callable[[T], Mapping[str, int | None]]
) -> Sequence[T]:
    """The items that pass every condition (Plex ANDs the filters of one query)."""
    if not conditions:
        return items
    kept = []
    for item in items:
        values = values_of(item)
        if all(c.holds(values.get(c.field)) for c in conditions):
            kept.append(item)
    return kept
