"""The translation lesson in plain sentences: what a finished run measured, for its page."""

from __future__ import annotations

from core.data.history import History
from core.tasks.experiment import Experiment
from core.tasks.explaining import (
    name_of,
    orders_of_magnitude,
    percent,
    readable,
    share_of,
    small_validation_warning,
)


def translation_lines(experiment: Experiment, histories: list[History], copy_chrf: float | None,
                      val_count: int | None = None) -> list[str]:
    """Markdown sentences on each decoder's scores and on what attention changed, from this run's numbers;
    `val_count` held-out pairs, when known, give each share its size and, on a small set, its interval."""
    lines = []
    scored = {}
    for history, stopped in readable(experiment, histories, lines):
        name = name_of(history)
        exact, chrf = history.final_val_metric(), history.final_scores().get("chrF")
        scored[history.cell] = history
        sentence = (f"**{name}**{stopped} translated {share_of(exact, val_count, 'held-out validation pairs')} "
                    "exactly")
        if chrf is not None:
            sentence += f"; chrF {chrf:.1f}"
            if copy_chrf is not None:
                sentence += (f", no better than copying the source unchanged ({copy_chrf:.1f})" if chrf <= copy_chrf
                             else f", against {copy_chrf:.1f} for copying the source unchanged")
        lines.append(sentence + ".")
    if scored:
        lines += small_validation_warning(val_count, "pairs")
    for cell in experiment.model.cells:
        plain = scored.get(f"{cell}+none")
        for kind in ("additive", "multiplicative"):
            attended = scored.get(f"{cell}+{kind}")
            if plain is not None and attended is not None:
                lines += _attention_lines(name_of(plain).partition(",")[0], kind, plain, attended)
    return lines


def _attention_lines(cell: str, kind: str, plain: History, attended: History) -> list[str]:
    with_attention, without = attended.final_val_metric(), plain.final_val_metric()
    gap = with_attention - without
    if gap >= 0.1:
        lines = [f"With {kind} attention the {cell} translated {percent(with_attention)} exactly, without it "
                 f"{percent(without)}: each output piece can look straight at the source pieces it translates, "
                 "instead of the whole source passing through the encoder's last state."]
    elif gap <= -0.1:
        lines = [f"In this run the {cell} without attention did better ({percent(without)} exactly) than with "
                 f"{kind} attention ({percent(with_attention)})."]
    else:
        lines = [f"With and without {kind} attention the {cell} scored within 10 points of each other "
                 f"({percent(with_attention)} and {percent(without)} exactly)."]
    attended_drop = orders_of_magnitude(attended.median_grad_ratio())
    plain_drop = orders_of_magnitude(plain.median_grad_ratio())
    if attended_drop is not None and plain_drop is not None:
        difference = plain_drop - attended_drop
        if abs(difference) < 0.5:
            lines.append(f"Both pass back about as much gradient to the first source piece relative to the last "
                         f"(median over the probes: {10 ** -attended_drop:.1e} with attention, "
                         f"{10 ** -plain_drop:.1e} without).")
        else:
            more, less = ("with", "without") if difference > 0 else ("without", "with")
            lines.append(f"The decoder's error reaches the first source piece about 10^{abs(difference):.1f} times "
                         f"more strongly, relative to the last, {more} attention than {less} it (median "
                         f"|dL/dh₁| / |dL/dh_T| over the probes: {10 ** -attended_drop:.1e} with, "
                         f"{10 ** -plain_drop:.1e} without)"
                         + (": attention hands the gradient to every source state directly, while without it the "
                            "error must travel back through the whole encoder." if difference > 0 else "."))
    return lines
