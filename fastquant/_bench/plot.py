"""``fastquant bench --plot FILE``: the ``--against`` comparison as a chart (png or svg).

Per operation, at one size (the largest measured): fastquant's speedup over each published
snippet (seed) and each peer (bars, log scale; 1x = as fast as the rival; fastquant's best of a
new result and a preallocated ``out=``), and its speed as a share of a memory copy of the same
bytes. Needs matplotlib (the ``plot``
extra: ``pip install fastquant[plot]``).
"""

from __future__ import annotations

from typing import Optional, Sequence

from .cases import size_label

SUFFIXES = (".png", ".svg")
#: Bar colours: the seed (the code fastquant replaces) and the peers (libraries).
COLOURS = {"seed": "#d95f02", "peer": "#1b9e77"}


def check_path(path: str) -> Optional[str]:
    """Why ``path`` cannot be plotted to (None when it can)."""
    if not path.lower().endswith(SUFFIXES):
        return f"--plot: expected a .png or .svg file name, got {path!r}"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "--plot needs matplotlib: pip install 'fastquant[plot]'"
    return None


def _caveat(d) -> str:
    """Why a bar is pale: the rival did not do the whole job (not counted in the comparison)."""
    if d.comparable:
        return ""
    return "  (returns a view of its input: no work)" if "view of its input" in d.note else "  (does part of the job)"


def draw(duels: Sequence, path: str, title: str = "") -> int:
    """Write the chart of ``duels`` (:class:`.against.Duel`) to ``path``; returns the number
    of operations drawn."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    timed = [d for d in duels if d.best_speedup is not None]
    if not timed:
        raise ValueError("--plot: nothing was timed against a rival")
    size = max(d.size for d in timed)
    timed = [d for d in timed if d.size == size]
    ops = list(dict.fromkeys(d.op for d in timed))
    bars = []  # (y, duel)
    ticks = []
    y = 0.0
    for op in ops:
        mine = [d for d in timed if d.op == op]
        ticks.append((y + (len(mine) - 1) / 2, op))
        for d in mine:
            bars.append((y, d))
            y += 1
        y += 0.6
    height = max(3.0, 0.26 * y + 1.2)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, height), sharey=True,
                                      gridspec_kw={"width_ratios": [3.2, 1]})
    for yy, d in bars:
        left.barh(yy, d.best_speedup, color=COLOURS[d.kind], height=0.8, alpha=1.0 if d.comparable else 0.35)
        left.text(d.best_speedup * 1.05, yy, f"{d.best_speedup:.1f}x  {d.rival}"
                  + _caveat(d), va="center", fontsize=7)
    left.set_xscale("log")
    left.axvline(1.0, color="black", linewidth=0.8)
    top = max(d.best_speedup for _, d in bars)
    left.set_xlim(min(0.5, min(d.best_speedup for _, d in bars) / 1.5), top * 60)
    left.set_xlabel("rival time / fastquant's best time (new result or out=); log scale, 1x = as fast")
    left.set_yticks([t for t, _ in ticks], [op for _, op in ticks], fontsize=8)
    left.invert_yaxis()
    names = {"seed": "seed: the published code fastquant replaces", "peer": "peer library"}
    left.legend(handles=[Patch(color=COLOURS[k], label=names[k]) for k in COLOURS
                         if any(d.kind == k for _, d in bars)], loc="lower right", fontsize=8)
    shares = {op: next(d.pct_copy for d in timed if d.op == op) for op in ops}
    right.barh([t for t, _ in ticks], [shares[op] for _, op in ticks], color="#7570b3", height=0.8)
    for t, op in ticks:
        right.text(shares[op] + 2, t, f"{shares[op]:.0f}%", va="center", fontsize=7)
    right.set_xlim(0, max(110, max(shares.values()) + 25))
    right.axvline(100, color="black", linewidth=0.8)
    right.set_xlabel("fastquant, % of a memory copy")
    threads = timed[0].threads
    fig.suptitle(title or f"fastquant vs seeds and peers, {size_label(size)} elements, "
                 f"{threads} thread{'s' if threads != 1 else ''} each", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return len(ops)
