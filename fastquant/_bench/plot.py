"""``fastquant bench --plot FILE``: the ``--against`` comparison as a chart (png or svg).

Per operation, at one size (the largest measured): fastquant's speedup over each published
snippet (seed) and each peer (bars, log scale; 1x = as fast as the rival; fastquant's best of a
new result and a preallocated ``out=``), and its speed as a share of a memory copy of the same
bytes. Needs matplotlib (the ``plot``
extra: ``pip install fastquant[plot]``).

A chart can also be drawn again from a run's ``--json`` document (``--against ... --json
run.json``), without timing anything:

    python -m fastquant._bench.plot run.json chart.png [--ops int4,gguf.dequantize[Q4_K]]
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
    height = max(3.0, 0.26 * y + 1.6)
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
    left.set_ylim(y - 0.9, -0.7)  # top to bottom, no margin beyond the first and last bars
    names = {"seed": "seed: the published code fastquant replaces", "peer": "peer library"}
    # title and legend in a band of fixed height above the axes (the chart grows with the ops)
    band = 0.5 / height
    fig.legend(handles=[Patch(color=COLOURS[k], label=names[k]) for k in COLOURS
                        if any(d.kind == k for _, d in bars)],
               loc="upper center", bbox_to_anchor=(0.5, 1 - 0.3 / height), ncol=2, fontsize=8, frameon=False)
    shares = {op: next(d.pct_copy for d in timed if d.op == op) for op in ops}
    right.barh([t for t, _ in ticks], [shares[op] for _, op in ticks], color="#7570b3", height=0.8)
    for t, op in ticks:
        right.text(shares[op] + 2, t, f"{shares[op]:.0f}%", va="center", fontsize=7)
    right.set_xlim(0, max(110, max(shares.values()) + 25))
    right.axvline(100, color="black", linewidth=0.8)
    right.set_xlabel("fastquant, % of a memory copy")
    threads = timed[0].threads
    fig.suptitle(title or f"fastquant vs seeds and peers, {size_label(size)} elements, "
                 f"{threads} thread{'s' if threads != 1 else ''} each", fontsize=10, y=1 - 0.08 / height, va="top")
    fig.tight_layout(rect=(0, 0, 1, 1 - band))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return len(ops)


def duels_from_json(path: str) -> list:
    """The duels of an ``--against`` run's ``--json`` document."""
    import dataclasses
    import json

    from .against import Duel

    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    names = {f.name for f in dataclasses.fields(Duel)}
    return [Duel(**{k: v for k, v in row.items() if k in names}) for row in doc["duels"]]


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m fastquant._bench.plot",
                                 description="Draw the chart of a saved `fastquant bench --against --json` run.")
    ap.add_argument("run", help="the --json document of an --against run")
    ap.add_argument("file", help="the chart (.png or .svg)")
    ap.add_argument("--ops", type=lambda s: [p for p in s.split(",") if p],
                    help="only ops whose label contains one of these (or whose family is one)")
    args = ap.parse_args(argv)
    why = check_path(args.file)
    if why:
        ap.error(why)
    duels = duels_from_json(args.run)
    if args.ops:
        duels = [d for d in duels if any(p in d.op or p == d.family for p in args.ops)]
    print(f"wrote {args.file} ({draw(duels, args.file)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
