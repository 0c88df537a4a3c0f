"""Stacked horizontal bar charts of poll answers: the spread of opinions per need."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .polls import Poll, share

SUFFIXES = {".png", ".svg", ".pdf"}


def _colours(poll: Poll, plt) -> list:
    """Likert: a diverging map over the valued levels, grey for 'not sure'."""
    if poll.kind != "likert":
        return list(plt.get_cmap("viridis")([i / max(len(poll.scale) - 1, 1) for i in range(len(poll.scale))]))
    valued = [level for level in poll.scale if level.value is not None]
    ramp = plt.get_cmap("RdYlGn_r")([i / max(len(valued) - 1, 1) for i in range(len(valued))])
    by_level = dict(zip((level.id for level in valued), ramp))
    return [by_level.get(level.id, "lightgrey") for level in poll.scale]


def poll_chart(poll: Poll, path: str | Path) -> Path:
    """Write one bar per need and round, split into the scale's levels by share."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(path, None, f"chart must end in {', '.join(sorted(SUFFIXES))}")
    import matplotlib

    matplotlib.use("Agg")  # files only; no display is needed or wanted
    import matplotlib.pyplot as plt

    bars = [(f"{need} (round {r.number})" if len(poll.rounds) > 1 else need, r, need)
            for need in poll.needs for r in poll.rounds]
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.6))
    colours = _colours(poll, plt)
    left = [0.0] * len(bars)
    for level, colour in zip(poll.scale, colours):
        widths = [share(r, need, level.id) for _, r, need in bars]
        axes.barh([label for label, _, _ in bars], widths, left=left, color=colour, label=level.label)
        left = [a + b for a, b in zip(left, widths)]
    axes.invert_yaxis()
    axes.set_xlabel("share of respondents (%)")
    axes.set_title(poll.title or Path(poll.path).stem)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / len(bars)), ncol=len(poll.scale), frameon=False)
    figure.tight_layout()
    try:
        figure.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
    except OSError as error:
        raise InputError(path, None, f"cannot write chart: {error.strerror}") from None
    finally:
        plt.close(figure)
    return path
