"""Server-rendered SVG charts for the uptake dashboard: geometry here, markup in research/admin/chart.html.

Small and ours rather than a charting library: the charts are three simple kinds (steps, dots,
weekly lines), must load nothing from other hosts and run no script, and each carries its title, a
text description and its data as a table for screen readers and for copying. Arms are told apart
by line pattern and marker shape as well as colour (WCAG 1.4.1), with a contrast of at least 3:1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .data import Series

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
# Implementation: NHS blue, solid, circles. Control: dark grey, dashed, squares.
STYLES = {
    "implementation": {"colour": "#005eb8", "dash": "", "marker": "circle"},
    "control": {"colour": "#425563", "dash": "6 4", "marker": "square"},
}


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float


@dataclass(frozen=True)
class DrawnSeries:
    arm: str
    label: str
    colour: str
    dash: str
    marker: str
    path: str
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw one chart."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[DrawnSeries, ...]
    x_title: str
    y_title: str
    marker_line: Tick | None = None


def _nice_max(value: float) -> float:
    """Return a round axis maximum at or above the value (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _scale(x_max: float, y_max: float):
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x_at(x: float) -> float:
        return round(LEFT + (x / x_max if x_max else 0) * plot_w, 1)

    def y_at(y: float) -> float:
        return round(TOP + plot_h - (y / y_max if y_max else 0) * plot_h, 1)

    return x_at, y_at


def _ticks(maximum: float, count: int, fmt) -> list[tuple[float, str]]:
    return [(maximum * i / count, fmt(maximum * i / count)) for i in range(count + 1)]


def _draw(series: list[Series], *, x_max: float, y_max: float, steps: bool, lines: bool) -> tuple[DrawnSeries, ...]:
    x_at, y_at = _scale(x_max, y_max)
    drawn = []
    for one in series:
        style = STYLES.get(one.arm, STYLES["implementation"])
        parts = []
        previous_y = None
        for index, (x, y) in enumerate(one.points):
            if index == 0:
                parts.append(f"M{x_at(x)} {y_at(y)}")
            elif steps:
                parts.append(f"H{x_at(x)} V{y_at(y)}" if previous_y is not None else f"L{x_at(x)} {y_at(y)}")
            else:
                parts.append(f"L{x_at(x)} {y_at(y)}")
            previous_y = y
        drawn.append(DrawnSeries(
            arm=one.arm, label=one.label, colour=style["colour"], dash=style["dash"], marker=style["marker"],
            path=" ".join(parts) if lines else "",
            markers=tuple(Marker(x_at(x), y_at(y)) for x, y in one.points) if not lines or len(one.points) <= 60 else (),
        ))
    return tuple(drawn)


def _frame(x_max, y_max, x_ticks, y_ticks, series, *, x_title, y_title, marker_line=None) -> Chart:
    x_at, y_at = _scale(x_max, y_max)
    return Chart(
        width=WIDTH, height=HEIGHT, plot_left=LEFT, plot_right=WIDTH - RIGHT, plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        x_ticks=tuple(Tick(x_at(x), label) for x, label in x_ticks),
        y_ticks=tuple(Tick(y_at(y), label) for y, label in y_ticks),
        series=series, x_title=x_title, y_title=y_title,
        marker_line=Tick(x_at(marker_line[0]), marker_line[1]) if marker_line else None,
    )


def cumulative_chart(series: list[Series], *, weeks: int, window_weeks: int) -> Chart:
    """A step chart of shares (0-1) by week since randomisation, with the window's end marked."""
    every = max(1, math.ceil(weeks / 12))
    x_ticks = [(w, str(w)) for w in range(0, weeks + 1, every)]
    y_ticks = _ticks(1.0, 4, lambda v: f"{round(v * 100)}%")
    drawn = _draw(series, x_max=weeks, y_max=1.0, steps=True, lines=True)
    marker = (window_weeks, f"{window_weeks}-week window") if 0 < window_weeks <= weeks else None
    return _frame(weeks, 1.0, x_ticks, y_ticks, drawn, x_title="Weeks since randomisation",
                  y_title="Share of practices", marker_line=marker)


def dot_chart(series: list[Series]) -> Chart:
    """A strip plot: one column per arm, one dot per practice at its number of accesses."""
    y_max = _nice_max(max((y for s in series for _x, y in s.points), default=0))
    count = len(series)
    placed = []
    for index, one in enumerate(series):
        n = len(one.points)
        # Spread each arm's dots a little sideways around its column so equal values stay visible.
        spread = [(index + 0.5 + (0.3 * ((i % 7) - 3) / 3 if n > 1 else 0), y) for i, (_x, y) in enumerate(one.points)]
        placed.append(Series(arm=one.arm, label=one.label, points=tuple(spread)))
    drawn = _draw(placed, x_max=max(count, 1), y_max=y_max, steps=False, lines=False)
    x_at, _ = _scale(max(count, 1), y_max)
    chart = _frame(max(count, 1), y_max, [], _ticks(y_max, 5, lambda v: f"{v:g}"), drawn,
                   x_title="Arm", y_title="Accesses per practice")
    return Chart(**{**chart.__dict__, "x_ticks": tuple(
        Tick(x_at(index + 0.5), one.label) for index, one in enumerate(series))})


def weekly_chart(series: list[Series], weeks: list) -> Chart:
    """Lines of accesses per calendar week (weeks starting Monday), one per arm."""
    y_max = _nice_max(max((y for s in series for _x, y in s.points), default=0))
    x_max = max(len(weeks) - 1, 1)
    every = max(1, math.ceil(len(weeks) / 8))
    x_ticks = [(i, f"{week:%-d %b %Y}") for i, week in enumerate(weeks) if i % every == 0]
    drawn = _draw(series, x_max=x_max, y_max=y_max, steps=False, lines=True)
    return _frame(x_max, y_max, x_ticks, _ticks(y_max, 5, lambda v: f"{v:g}"), drawn,
                  x_title="Week beginning (Monday, UTC)", y_title="Accesses begun")
