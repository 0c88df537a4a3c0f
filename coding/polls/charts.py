"""Stacked horizontal bar charts of poll answers: the spread of opinions per need."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from .polls import ALL, Poll, per_context, share

SUFFIXES = {".png", ".svg", ".pdf"}


def _colours(poll: Poll, plt) -> list:
    """Likert: a diverging map over the valued levels, grey for 'not sure'."""
    if poll.kind != "likert":
        return list(plt.get_cmap("viridis")([i / max(len(poll.scale) - 1, 1) for i in range(len(poll.scale))]))
    valued = [level for level in poll.scale if level.value is not None]
    ramp = plt.get_cmap("RdYlGn_r")([i / max(len(valued) - 1, 1) for i in range(len(valued))])
    by_level = dict(zip((level.id for level in valued), ramp))
    return [by_level.get(level.id, "lightgrey") for level in poll.scale]


def poll_chart(poll: Poll, path: str | Path, attribute: str | None = None) -> Path:
    """Write one bar per need and round, split into the scale's levels by share; with
    `attribute`, one panel for all respondents and one per value of the attribute."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(path, None, f"chart must end in {', '.join(sorted(SUFFIXES))}")
    if not poll.scale:
        raise InputError(path, None, "this poll has no answers to draw (only its response rate)")
    import matplotlib

    matplotlib.use("Agg")  # files only; no display is needed or wanted
    import matplotlib.pyplot as plt

    panels = per_context(poll, attribute)
    bars_per_panel = len(poll.needs) * len(poll.rounds)
    heights = [0.45 * bars_per_panel + 0.9 for _ in panels]
    figure, axes_list = plt.subplots(len(panels), 1, figsize=(8, sum(heights) + 0.9), squeeze=False,
                                     sharex=True, gridspec_kw={"height_ratios": heights})
    colours = _colours(poll, plt)
    for (value, panel), axes in zip(panels, axes_list[:, 0]):
        _bars(panel, axes, colours)
        title = poll.title or Path(poll.path).stem
        axes.set_title(title if attribute is None else f"{attribute}: {value} ({panel.rounds[0].respondents} "
                       "respondents)" if value != ALL else f"{title}: all respondents", fontsize=10)
    last = axes_list[-1, 0]
    last.set_xlabel("share of respondents (%)")
    below_axis = 0.65 / heights[-1]  # 0.65 inch under the last panel, in its axes' units
    last.legend(loc="upper center", bbox_to_anchor=(0.5, -below_axis), ncol=len(poll.scale), frameon=False)
    figure.tight_layout()
    return save_figure(figure, path, plt)


def _bars(poll: Poll, axes, colours) -> None:
    bars = [(f"{need} (round {r.number})" if len(poll.rounds) > 1 else need, r, need)
            for need in poll.needs for r in poll.rounds]
    left = [0.0] * len(bars)
    for level, colour in zip(poll.scale, colours):
        widths = [share(r, need, level.id) for _, r, need in bars]
        axes.barh([label for label, _, _ in bars], widths, left=left, color=colour, label=level.label)
        left = [a + b for a, b in zip(left, widths)]
    axes.invert_yaxis()


def save_figure(figure, path: Path, plt) -> Path:
    """Write to a temporary name beside `path`, then rename: never a half-written chart."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        figure.savefig(temporary, format=path.suffix.lower()[1:],
                       metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InputError(path, None, f"cannot write chart: {error.strerror}") from None
    finally:
        plt.close(figure)
    return path
