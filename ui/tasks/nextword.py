"""The next-word page's own parts: the data panel and text upload, live samples while training (read
from the job's snapshots), "type a prompt" after training, and the long-range word against the gap."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data.history import History
from core.export.describe import TOP_UNITS  # what a downloaded model lists too
from core.nn.cells import model_label
from core.store import runs
from core.tasks.base import DataError, TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.nextword import free_text
from core.tasks.nextword.explanation import nextword_lines
from core.tasks.nextword.problem import SAMPLE_MAP, next_probabilities, sample
from core.tasks.nextword.story import frequency_expected
from core.tasks.registry import check_training_file
from ui import lab, lab_status, plain, reading, sweep
from ui.services import task_data

PROMPTS = {"story": "i grew up in spain . and then we walked by the old river so i speak fluent",
           "hamlet": "to be, or not to be"}

blocker = lab.upload_blocker("a text file", "text_file")


def data_panel(experiment: Experiment) -> TaskData | None:
    """Where the text comes from, its sizes and the baselines a model must beat."""
    data = lab.data_or_error(experiment, upload_box)
    if data is None:
        return None
    info = data.info
    with st.expander(plain.fill("The data: {source}", source=info["source"]), expanded=False):
        plain.markdown("**{train:,}** training and **{val:,}** validation sequences of {length} {units}; a "
                       "vocabulary of {size:,}. A unigram model (each unit's frequency, no context) has a "
                       "validation perplexity of **{unigram:.2f}**.", train=data.train_inputs.shape[0],
                       val=data.val_inputs.shape[0], length=data.train_inputs.shape[1],
                       units=data.codec.units, size=data.codec.size, unigram=info["unigram_perplexity"])
        if experiment.task_config.source == "story":
            plain.markdown("The long-range word is the language (after \"so i speak fluent\") or the verb that "
                           "agrees with the subject (\"is\" or \"are\"). Guessing each kind's most frequent answer, "
                           "with no memory of the clue, gets **{guess:.1%}** of them right.",
                           guess=info["frequency_accuracy"])
        st.code(data.codec.decode(data.val_inputs[0].tolist() + [int(data.val_targets[0, -1])]), language=None,
                wrap_lines=True)
    return data


def upload_box(experiment: Experiment) -> None:
    """Read the user's text, say what is wrong with it, and keep it under a key."""
    def read(content: bytes) -> tuple[list[str], str]:
        text = check_training_file("nextword", free_text.read_file("txt", content))
        return [], f"{len(text):,} characters, starting “{' '.join(text.split())[:80]}”."

    lab.file_box(experiment, what="the text", prompt="**Your text**: a UTF-8 plain-text file (a book, your notes), at "
                 f"least {free_text.MIN_CHARACTERS:,} characters. The first nine tenths train, the rest validates.",
                 label="Upload a text file", types=["txt"], key="text_file", read=read,
                 confirm=("Train on this text", "use_text"), format="txt")


def _unigram(experiment: Experiment) -> float | None:
    """The unigram baseline's perplexity; None, quietly, when the data cannot be built (the data
    panel above already says why)."""
    try:
        return task_data(experiment).info["unigram_perplexity"]
    except DataError:
        return None


def explain(experiment: Experiment, histories: list[History]) -> list[str]:
    return nextword_lines(experiment, histories, _unigram(experiment))


def baselines(experiment: Experiment) -> dict[str, float]:
    """A dashed line on the perplexity chart: the unigram model's."""
    unigram = _unigram(experiment)
    return {"perplexity": unigram} if unigram is not None else {}


def samples(experiment: Experiment, histories: list[History], title: str = "Live samples") -> None:
    """Each model's latest continuation of the same prompt, as the job recorded it at its last probe."""
    try:
        data = task_data(experiment)
    except DataError:
        return
    shown = [history for history in histories if history.probe_maps.get(SAMPLE_MAP)]
    if not shown:
        return
    st.subheader(title)
    plain.caption("Every model continues the same prompt at temperature {temperature} with the same seed, at "
                  "each gradient probe, so the text changes only because the weights do.",
                  temperature=experiment.task_config.temperature)
    prompt = data.codec.decode(list(data.problem.prompt))
    columns = st.columns(len(shown))
    for column, history in zip(columns, shown):
        written = [int(unit) for unit in history.probe_maps[SAMPLE_MAP][-1][0]]
        with column:
            plain.markdown("**{model}** at step {step}", model=model_label(history.cell),
                           step=history.probe_steps[-1])
            joiner = "" if data.codec.units == "characters" else " "
            st.code(prompt + joiner + "⟶ " + data.codec.decode(written), language=None, wrap_lines=True)


def after_results(experiment: Experiment, stored: runs.StoredRun) -> None:
    samples(experiment, [stored.histories[name] for name in model_names(experiment) if name in stored.histories],
            "Samples at the end of training")
    data = lab.data_or_error(experiment)
    if data is None:
        return
    models = {name: model for name in model_names(experiment) if name in stored.histories
              and (model := reading.stored_model(experiment, data, stored.run_id, name)) is not None}
    if not models:
        st.caption(lab_status.WEIGHTS_NEEDED)
        return
    type_a_prompt(experiment, data, models)


def type_a_prompt(experiment: Experiment, data: TaskData, models: dict) -> None:
    """Each model's likeliest next units after the user's prompt, and a seeded continuation."""
    st.subheader("Type a prompt")
    source = experiment.task_config.source
    default = PROMPTS.get(source) or data.codec.decode(list(data.problem.prompt))
    text = st.text_input("Prompt", value=default, key="prompt_text",
                         help="Every trained model reads it and says what it expects next.")
    ids = data.codec.encode(text)
    if not ids:
        st.info("Type a prompt for the models to continue.", icon=":material/edit:")
        return
    unknown = [data.codec.unit(unit) for unit in ids if unit == 1]
    if unknown:
        plain.caption("{count} unit(s) of the prompt are not in the vocabulary and read as unknown.",
                      count=len(unknown))
    columns = st.columns(len(models))
    for column, (name, model) in zip(columns, models.items()):
        probabilities = next_probabilities(model, ids)
        top = probabilities.topk(min(TOP_UNITS, probabilities.numel()))
        written = sample(model, ids, data.problem.sample_length, experiment.task_config.temperature,
                         experiment.seed)
        with column:
            plain.markdown("**{model}**", model=model_label(name))
            plain.table(pd.DataFrame({"next": [data.codec.unit(int(unit)) for unit in top.indices],
                                   "probability": [round(float(value), 3) for value in top.values]}),
                     hide_index=True)
            st.code(data.codec.decode(written), language=None, wrap_lines=True)
    plain.caption("Continuations are drawn at temperature {temperature} with the run's seed {seed}: the same "
                  "prompt gives the same text.", temperature=experiment.task_config.temperature,
                  seed=experiment.seed)


def gap_view(experiment: Experiment) -> None:
    """Long-range accuracy against the gap, from finished stored runs that differ only in the gap."""
    if experiment.task_config.source != "story":
        return
    sweep.accuracy_against(
        experiment, "gap", "The long-range word against the gap",
        "Train these settings at two or more gaps (move the Gap slider and press Train) to draw the long-range "
        "word's accuracy against the gap; the dashed line is guessing from frequency.", frequency_expected())


PARTS = lab.PageParts(position_label="steps back from the long-range word", explain=explain, data_panel=data_panel,
                      after_results=after_results, footer=gap_view, blocker=blocker, baselines=baselines,
                      live=samples,
                      inspect_caption="Look for LSTM cell-state units that jump at the clue and then hold it across "
                                      "the gap.")
