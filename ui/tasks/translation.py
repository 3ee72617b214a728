"""The translation page's own parts: the data panel, the pairs upload, "type a phrase", attention
maps (now and at earlier probes) and the commonest errors on validation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data.history import History
from core.nn.cells import model_label
from core.report.order import numeric_order
from core.store import runs
from core.tasks.base import DataError, TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.registry import check_training_file, file_defaults
from core.tasks.translation import data as translation
from core.tasks.translation import pair_files, sizing
from core.tasks.translation.explanation import translation_lines
from ui import charts, figures, lab, lab_status, plain, reading
from ui.services import task_data

EXAMPLES = {"numbers": "four hundred seventy-two", "dates": "March 3, 1999"}
ERROR_ROWS = 12

blocker = lab.upload_blocker("a file of sentence pairs", "pairs_file")


def data_panel(experiment: Experiment) -> TaskData | None:
    """Where the pairs come from, a few of them, and how each side is cut into pieces."""
    data = lab.data_or_error(experiment, upload_box)
    if data is None:
        return None
    info = data.info
    with st.expander(plain.fill("The data: {origin}", origin=info["origin"]), expanded=False):
        vocabulary = (f"one shared vocabulary of {info['source_vocab']:,} pieces" if info["shared_vocabulary"] else
                      f"{info['source_vocab']:,} source and {info['target_vocab']:,} target pieces")
        plain.markdown("**{train:,}** training and **{val:,}** validation pairs (never seen in training); "
                       "{vocabulary}. Both sides are read as written, case and punctuation kept, and exact match "
                       "and chrF compare the text a model writes, as shown here, with the reference. Copying the "
                       "source unchanged scores chrF **{copy:.1f}**: a model has to beat that to have learned "
                       "anything.", train=info["train_size"], val=info["val_size"],
                       vocabulary=vocabulary, copy=info["copy_chrf"])
        plain.notes(info["notices"])
        if experiment.task_config.source in pair_files.PAIR_FILES:
            chosen_settings(experiment, info["train_size"])
        if info["attributed"]:
            plain.caption("{count:,} pairs carry an attribution, which travels with them, e.g. “{example}”.",
                          count=info["attributed"], example=info["attribution_example"][:160])
        plain.table(pd.DataFrame(info["train_examples"], columns=["source", "target"]), hide_index=True)
        text = st.text_input("See how the tokenizer cuts a phrase into pieces", value=_example(experiment, data),
                             key="pieces_probe")
        if text.strip():
            plain.caption("Source pieces: {pieces}", pieces=" · ".join(data.codec.source_pieces(text)))
    return data


def upload_box(experiment: Experiment) -> None:
    """Read the user's pairs, say what was fixed, and keep them under a key."""
    def read(content: bytes) -> tuple[list[str], str]:
        pairs = check_training_file("translation", translation.read_file("tsv", content))
        return pairs.notices, f"{len(pairs):,} pairs, e.g. “{pairs.sources[0]}” → “{pairs.targets[0]}”."

    lab.file_box(experiment, what="the pairs", prompt="**Your pairs**: a UTF-8 text file with one pair per line, "
                 "`source<TAB>target`, optionally followed by a tab and an attribution (the Tatoeba / Anki layout).",
                 note=pair_files.PAIR_SOURCES_NOTE, label="Upload sentence pairs", types=["tsv", "txt"],
                 key="pairs_file", read=read, confirm=("Train on these pairs", "use_pairs"), format="tsv",
                 settings=lambda content: file_defaults("translation", translation.read_file("tsv", content)))


def chosen_settings(experiment: Experiment, train_pairs: int) -> None:
    """How long and how big this run trains, in the terms a file of pairs is sized by: epochs of its
    pairs, pieces, model size and schedule; all of them ordinary settings in the sidebar."""
    train, task = experiment.train, experiment.task_config
    epochs = sizing.epochs_of(train.steps, train.batch_size, train_pairs)
    kept = "the weights of the evaluation with the best chrF" if train.keep == "best" else "the last weights"
    plain.caption("Training: **{epochs:.1f} epochs** of {pairs:,} pairs ({steps:,} steps of {batch}), batches of "
                  "similar lengths; learning rate {lr:g}, {schedule}; hidden size {hidden}, embeddings of {embedding}; "
                  "keeps {kept}. A file of this size gets these by default (they grow with the file), and each one "
                  "is a setting in the sidebar.", epochs=epochs, pairs=train_pairs, steps=train.steps,
                  batch=train.batch_size, lr=train.lr, schedule="decaying on a cosine" if train.schedule == "cosine"
                  else "constant", hidden=experiment.model.hidden_size, embedding=task.embedding_size, kept=kept)


def _example(experiment: Experiment, data: TaskData) -> str:
    return EXAMPLES.get(experiment.task_config.source) or data.info["val_sources"][0]


def _copy_chrf(experiment: Experiment) -> float | None:
    """chrF of copying the source unchanged; None, quietly, when the data cannot be built (the data
    panel above already says why, so the charts and the explanation must not say it again)."""
    try:
        return task_data(experiment).info["copy_chrf"]
    except DataError:
        return None


def _validation_count(experiment: Experiment) -> int | None:
    try:
        return int(task_data(experiment).val_targets.shape[0])
    except DataError:
        return None


def explain(experiment: Experiment, histories: list[History]) -> list[str]:
    return translation_lines(experiment, histories, _copy_chrf(experiment), _validation_count(experiment))


def inspect_caption(experiment: Experiment) -> str:
    """Where to look in the gate heatmaps: number words have fixed boundaries to point at, a user's
    sentences only spaces and punctuation."""
    if experiment.task_config.source == "numbers":
        return "In the encoder, look for gates that change at word boundaries (“hundred”, “-”)."
    if experiment.task_config.source == "dates":
        return "In the encoder, look for gates that change between the day, the month and the year."
    return "In the encoder, look for gates that change at word boundaries and at punctuation."


def baselines(experiment: Experiment) -> dict[str, float]:
    """Dashed reference lines on the score charts: chrF of copying the source unchanged."""
    copy = _copy_chrf(experiment)
    return {"chrF": copy} if copy is not None else {}


@st.cache_data(show_spinner=False, max_entries=64)
def _rescored(run_id: str, name: str, width: int, _problem: translation.Translation, _model: object,
              _data: TaskData) -> tuple[float, float]:
    """Exact match and chrF of one stored model's validation decoded with `width` beams (the run id,
    model and width name the result; the weights behind a run id never change)."""
    _, exact, chrf_score = _problem.validation_scores(_model, _data, width)
    return exact, chrf_score


def beam_scores(experiment: Experiment, data: TaskData, models: dict, stored: runs.StoredRun) -> None:
    """With a beam wider than 1, the stored models' validation decoded again with it, beside the greedy
    figures the curves show: moving the beam re-reads the run, it never retrains it."""
    width = experiment.task_config.beam_width
    if width == 1:
        return
    rows = []
    with st.spinner(f"Decoding the validation pairs with {width} beams..."):
        for name, model in models.items():
            history = stored.histories[name]
            exact, chrf_score = _rescored(stored.run_id, name, width, data.problem, model, data)
            greedy_chrf = history.final_scores().get("chrF")
            rows.append({"model": model_label(name), "exact, greedy": history.final_val_metric(),
                         f"exact, beam {width}": exact,
                         "chrF, greedy": round(greedy_chrf, 1) if greedy_chrf is not None else None,
                         f"chrF, beam {width}": round(chrf_score, 1)})
    st.markdown(f"**Validation decoded with a beam of {width}**, from the stored weights (the curves above "
                "decode greedily, so this run was not trained again):")
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith("exact"):
            frame[column] = [f"{100 * value:.1f}%" if value is not None else "-" for value in frame[column]]
    plain.table(frame, hide_index=True)


def after_results(experiment: Experiment, stored: runs.StoredRun) -> None:
    data = lab.data_or_error(experiment)
    if data is None:
        return
    models = {name: model for name in model_names(experiment) if name in stored.histories
              and (model := reading.stored_model(experiment, data, stored.run_id, name)) is not None}
    if not models:
        st.caption(lab_status.WEIGHTS_NEEDED)
        return
    kept_weights(experiment, data, stored)
    beam_scores(experiment, data, models, stored)
    type_a_phrase(experiment, data, models)
    examples_over_training(data, [stored.histories[name] for name in models])
    learned_alignment(data, [stored.histories[name] for name in models])
    common_errors(data, models, stored.run_id)


def kept_weights(experiment: Experiment, data: TaskData, stored: runs.StoredRun) -> None:
    """Which step's weights each model kept, and their scores on the whole validation split."""
    rows = [{"model": model_label(name), "weights of step": history.best_step or len(history.steps),
             "exact": f"{100 * history.final['exact match']:.1f}%", "chrF": round(history.final["chrF"], 1),
             "BLEU": round(history.final["BLEU"], 1) if "BLEU" in history.final else None}
            for name, history in stored.histories.items() if "chrF" in history.final]
    if not rows:
        return
    count = int(data.val_targets.shape[0])
    # Said as this run did it: a run may keep its last weights, and a small file's sample is all of it.
    sampled = (f"the curves read a fixed sample of {data.val_sample:,} of them while training; "
               if 0 < data.val_sample < count else "")
    kept = ("each model keeps the weights of its evaluation with the best chrF" if experiment.train.keep == "best"
            else "each model keeps its weights after the last step")
    plain.markdown("**The kept weights on all {count:,} validation pairs** ({sampled}{kept}):", count=count,
                   sampled=sampled, kept=kept)
    plain.table(pd.DataFrame(rows), hide_index=True)


def examples_over_training(data: TaskData, histories: list[History]) -> None:
    """A few validation sentences as each model wrote them at each probe: translation being learned."""
    shown = [history for history in histories if history.probe_maps.get("examples")]
    if not shown:
        return
    st.subheader("Translations being learned")
    sources, references = data.info["val_sources"], data.info["val_references"]
    index = st.selectbox("Validation sentence", range(len(shown[0].probe_maps["examples"][0])),
                         format_func=lambda i: f"“{sources[i]}” → “{references[i]}”", key="examples_sentence")
    rows = {}
    for history in shown:
        for step, written in zip(history.probe_steps, history.probe_maps["examples"]):
            rows.setdefault(step, {"step": step})[model_label(history.cell)] = \
                data.codec.decode([int(token) for token in written[index]]) if index < len(written) else ""
    plain.table(pd.DataFrame([rows[step] for step in sorted(rows)]), hide_index=True)


def type_a_phrase(experiment: Experiment, data: TaskData, models: dict) -> None:
    st.subheader("Type a phrase")
    left, right = st.columns([3, 2])
    text = left.text_input("Source phrase", value=_example(experiment, data), key="phrase_text",
                           help="Every trained model translates it; the heatmap shows where each output piece looked.")
    picked = right.selectbox("…or a validation example", ["(your phrase)", *data.info["val_sources"][:50]],
                             key="phrase_example")
    if picked != "(your phrase)":
        text = picked
    if not text.strip():
        st.info("Type a phrase for the models to translate.", icon=":material/edit:")
        return
    read = data.codec.source.pieces(text)
    # The word-start marker alone is a known piece; whether anything else is known decides.
    if all(is_unknown for piece, _, is_unknown in read if piece.strip("\u2581")):
        st.warning("None of these characters are known to the source vocabulary, so the models would read only "
                   "unknown pieces. Try a phrase like the training pairs above.", icon=":material/help:")
        return
    inputs, lengths = data.codec.encode_sources([text])
    pieces = data.codec.source_pieces(text)
    unknown = [piece for piece, _, is_unknown in read if is_unknown]
    if unknown:
        plain.caption("Unknown to the source vocabulary (read as one unknown piece each): {pieces}",
                      pieces=", ".join(unknown))
    if len(read) > translation.MAX_PIECES:
        plain.caption("The phrase has {count} pieces; the models read the first {limit}.", count=len(read),
                      limit=translation.MAX_PIECES)
    width = experiment.task_config.beam_width
    columns = st.columns(min(len(models), 3))
    for index, (name, model) in enumerate(models.items()):
        with columns[index % len(columns)]:
            beams = data.problem.decode(model, inputs, lengths, width)[0]
            best = beams[0]
            plain.markdown("**{model}**", model=model_label(name))
            st.code(data.codec.decode(best.tokens) or "(nothing)", language=None, wrap_lines=True)
            if best.attention:
                outputs = data.codec.target_pieces(best.tokens + ([data.codec.end] if best.finished else []))
                figures.show(charts.attention_chart(best.attention, pieces, outputs, "Where each piece looked"))
            else:
                st.caption("No attention: the decoder reads the source only through the encoder's last state.")
            if width > 1:
                plain.table(pd.DataFrame([{"beam": rank + 1, "translation": data.codec.decode(beam.tokens),
                                        "log-probability": round(beam.score, 3), "ended": beam.finished}
                                       for rank, beam in enumerate(beams)]), hide_index=True)
    if width > 1:
        plain.caption("Beam search kept {width} hypotheses; scores are total log-probabilities (higher is likelier).",
                      width=width)


def learned_alignment(data: TaskData, histories: list[History]) -> None:
    """The first probe example's attention map at each probe step: alignment being learned."""
    with_maps = [history for history in histories if history.probe_maps.get("attention")]
    if not with_maps:
        return
    st.subheader("Alignment being learned")
    source = data.codec.source_pieces(data.info["val_sources"][0])
    length = int((data.val_targets[0] != translation.IGNORED).sum())
    target = data.codec.target_pieces(data.val_targets[0, :length].tolist())
    steps = sorted({step for history in with_maps for step in history.probe_steps})
    step = st.select_slider("Attention at training step", options=steps, value=steps[-1], key="alignment_step")
    columns = st.columns(len(with_maps))
    for column, history in zip(columns, with_maps):
        index = max(i for i, probe in enumerate(history.probe_steps) if probe <= step)
        matrix = history.probe_maps["attention"][min(index, len(history.probe_maps["attention"]) - 1)]
        figures.show(charts.attention_chart(matrix, source, target, model_label(history.cell)), column)
    plain.caption("Validation example “{source}” → “{reference}”, read with the correct previous pieces (teacher "
                  "forcing). Early on the weights are spread out; as the model learns, each output piece looks at "
                  "the source pieces it translates.", source=data.info["val_sources"][0],
                  reference=data.info["val_references"][0])


@st.cache_data(show_spinner="Translating the validation pairs...", max_entries=8)
def _validation_outputs(run_id: str, name: str, _data: TaskData, _model) -> list[str]:
    # A stored run's weights never change, so its id and the model name are the whole key.
    return _data.problem.translate(_model, _data.codec, _data.val_inputs, _data.val_lengths)


def common_errors(data: TaskData, models: dict, run_id: str) -> None:
    st.subheader("Where the models go wrong")
    name = st.selectbox("Model", list(models), format_func=model_label, key="errors_model")
    outputs = _validation_outputs(run_id, name, data, models[name])
    sources, references = data.info["val_sources"], data.info["val_references"]
    misses = [not hit for hit in translation.exact_matches(outputs, references)]
    wrong = [(source, reference, output)
             for source, reference, output, miss in zip(sources, references, outputs, misses) if miss]
    if not wrong:
        plain.success("{model} translates all {count:,} validation pairs exactly.", model=model_label(name),
                      count=len(references), icon=":material/check_circle:")
        return
    counts = translation.counted_by_group(misses, data.val_groups)
    # Kinds in their natural order ("2 digits" before "10+ digits"), as the charts list them.
    by_group = [(group, *counts[group]) for group in numeric_order(list(counts))]
    kinds = "; by kind: " + ", ".join(f"{group} {count} of {total}" for group, count, total in by_group) \
        if by_group else ""
    plain.markdown("{model} gets **{wrong:,}** of {total:,} validation pairs wrong{kinds}. The closest misses first:",
                   model=model_label(name), wrong=len(wrong), total=len(references), kinds=kinds)
    rows = sorted(({"source": source, "reference": reference, "model wrote": output,
                    "chrF": round(translation.sentence_chrf(output, reference), 1)}
                   for source, reference, output in wrong), key=lambda row: -row["chrF"])
    # A static table wraps each sentence in its cell, so a phone shows every column; a data grid
    # cuts sentences at the right edge of a 390 px screen.
    plain.table(pd.DataFrame(rows[:ERROR_ROWS]), hide_index=True)


PARTS = lab.PageParts(
    position_label="source pieces back from the end",
    explain=explain,
    data_panel=data_panel,
    after_results=after_results,
    blocker=blocker,
    baselines=baselines,
    inspect_caption=inspect_caption,
)
