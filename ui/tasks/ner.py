"""The named-entity page's own parts: the data panel and CoNLL upload, how far a word's error reaches
(before and after it), F1 by entity type, "type a sentence" with each model's tags and where the
forward and bidirectional readers disagree, and the validation sentences each model gets wrong."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.data.history import History
from core.nn.cells import model_label
from core.store import runs
from core.tasks.base import TaskData
from core.tasks.experiment import Experiment, model_names
from core.tasks.ner import data as entities
from core.tasks.ner import spans
from core.tasks.ner.explanation import KIND_WORDS, bidirectional
from core.tasks.registry import check_training_file
from ui import chart_style, figures, lab, lab_status, plain, reading

EXAMPLE = "Garcia scored twice before Garcia Group hired him in Madrid on 3 March 2021 ."
WRONG_ROWS = 10

blocker = lab.upload_blocker("a CoNLL file", "conll_file")


def data_panel(experiment: Experiment) -> TaskData | None:
    """Where the sentences come from, how many of each kind, and a few of them with their tags."""
    data = lab.data_or_error(experiment, upload_box)
    if data is None:
        return None
    info = data.info
    with st.expander(plain.fill("The data: {origin}", origin=info["origin"]), expanded=False):
        plain.markdown("**{train:,}** training and **{val:,}** validation sentences (none repeats a training "
                       "sentence word for word); {words:,} words known, tags {tags}.", train=info["train_size"],
                       val=info["val_size"], words=info["vocabulary"], tags=", ".join(info["tags"]))
        plain.notes(info.get("notices", []))
        kinds = pd.Series(info["val_kinds"]).value_counts()
        if "after" in kinds.index:
            plain.caption("Validation sentences by kind: {kinds}. “Decided only by the words after” opens with a "
                          "bare surname that the rest of the sentence makes a person, a place or a firm.",
                          kinds=", ".join(f"{KIND_WORDS.get(kind, kind)} {count}" for kind, count in kinds.items()))
        rows = [{"kind": KIND_WORDS.get(kind, kind), "sentence": " ".join(words),
                 "entities": entity_text(words, tags)} for words, tags, kind in info["train_examples"]]
        plain.table(pd.DataFrame(rows), hide_index=True)
    return data


def upload_box(experiment: Experiment) -> None:
    """Read the user's CoNLL file, say what was fixed, and keep it under a key."""
    def read(content: bytes) -> tuple[list[str], str]:
        dataset = check_training_file("ner", entities.read_file("conll", content))
        words, tags = dataset.sentences[0]
        return dataset.notices, (f"{len(dataset.sentences):,} sentences, e.g. “{' '.join(words)}” "
                                 f"({entity_text(words, tags) or 'no entity'}).")

    lab.file_box(experiment, what="the file", prompt="**Your file**: UTF-8 text in the CoNLL column layout: one word "
                 "per line with its tag last (`O`, `B-TYPE` or `I-TYPE`), and a blank line between sentences.",
                 label="Upload a CoNLL file", types=["conll", "txt", "tsv"], key="conll_file", read=read,
                 confirm=("Train on this file", "use_conll"), format="conll")


def entity_text(words, tags) -> str:
    """'Garcia (PER); 3 March 2021 (DATE)': a sentence's entities in reading order."""
    found = sorted(spans.entities(tags), key=lambda span: span[1])
    return "; ".join(f"{' '.join(words[first:last + 1])} ({kind})" for kind, first, last in found)


def reach_chart(histories: list[History]) -> alt.Chart | None:
    """How much of the first word's tag error reaches each word after it, at the last probe."""
    rows = []
    for history in histories:
        maps = history.probe_maps.get("reach")
        if not maps:
            continue
        for position, value in enumerate(maps[-1][0]):
            rows.append({"model": model_label(history.cell), "word": position + 1, "norm": max(value, 1e-12)})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    labels = list(dict.fromkeys(frame["model"]))
    colours = [chart_style.colour_of(label) for label in labels]
    return alt.Chart(frame, title="How far the first word's tag error reaches").mark_line(point=True).encode(
        x=alt.X("word:Q", title="Word of the sentence (1 = the name being tagged)",
                axis=chart_style.whole_number_axis()),
        y=alt.Y("norm:Q", title="|dL/dh| (log)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", title="Model", scale=alt.Scale(domain=labels, range=colours)),
        tooltip=["model", "word", alt.Tooltip("norm:Q", format=".2e")],
    ).properties(height=260)


def after_results(experiment: Experiment, stored: runs.StoredRun) -> None:
    histories = [stored.histories[name] for name in model_names(experiment) if name in stored.histories]
    chart = reach_chart(histories)
    if chart is not None:
        st.subheader("Which words a tag's error reaches")
        st.caption("For sentences that open with the name being tagged: the gradient of that name's tag error "
                   "at each word. A forward reader's first state is made before it reads any later word, so "
                   "nothing reaches them (no point past word 1); a bidirectional reader's backward half "
                   "carries it to every word. The word-by-word baseline reaches only the word itself.")
        figures.show(chart)
    data = lab.data_or_error(experiment)
    if data is None:
        return
    models = {name: model for name in model_names(experiment) if name in stored.histories
              and (model := reading.stored_model(experiment, data, stored.run_id, name)) is not None}
    if not models:
        st.caption(lab_status.WEIGHTS_NEEDED)
        return
    by_type(data, models)
    type_a_sentence(data, models)
    wrong_sentences(data, models)


def by_type(data: TaskData, models: dict) -> None:
    st.subheader("Entity F1 by type")
    true = data.info["val_tags"]
    rows = []
    for name, model in models.items():
        guessed, _ = data.problem.predict(model, data.val_inputs, data.val_lengths)
        row = {"model": model_label(name)}
        row.update({kind: round(score.f1, 3) for kind, score in spans.scores_by_type(true, guessed).items()})
        rows.append(row)
    plain.table(pd.DataFrame(rows), hide_index=True)


def type_a_sentence(data: TaskData, models: dict) -> None:
    st.subheader("Type a sentence")
    text = st.text_input("A sentence to tag", value=EXAMPLE, key="entity_text", max_chars=400)
    words = entities.words_of(text)
    if not words:
        st.info("Type a sentence: each model then tags every word.", icon=":material/edit:")
        return
    inputs, lengths = data.codec.encode([words])
    rows = [{"word": word} for word in words]
    tagged = {}
    for name, model in models.items():
        tags, confidences = data.problem.predict(model, inputs, lengths)
        tagged[name] = tags[0]
        for row, tag, sure in zip(rows, tags[0], confidences[0]):
            row[model_label(name)] = f"{tag} {100 * sure:.0f}%"
    both = [name for name in tagged if bidirectional(name)]
    forward = [name for name in tagged if name not in both and name != "bow"]
    if both and forward:
        for index, row in enumerate(rows):
            differ = {tagged[name][index] for name in both} != {tagged[name][index] for name in forward}
            row["forward vs both ways"] = "differ" if differ else ""
    unknown = [word for word in words if not data.codec.known(word)]
    plain.table(pd.DataFrame(rows), hide_index=True)
    if unknown:
        plain.caption("Not in the training words, so read by their shape only: {words}.",
                      words=", ".join(dict.fromkeys(unknown)))


def wrong_sentences(data: TaskData, models: dict) -> None:
    st.subheader("Validation sentences each model gets wrong")
    name = st.selectbox("Model", list(models), format_func=model_label, key="wrong_model")
    guessed, _ = data.problem.predict(models[name], data.val_inputs, data.val_lengths)
    rows = []
    for words, true, guess, kind in zip(data.info["val_words"], data.info["val_tags"], guessed,
                                        data.info["val_kinds"]):
        if spans.entities(true) != spans.entities(guess):
            rows.append({"kind": KIND_WORDS.get(kind, kind), "sentence": " ".join(words),
                         "true entities": entity_text(words, true), "model's entities": entity_text(words, guess)})
    if not rows:
        plain.success("{model} gets every entity of all {count:,} validation sentences right.",
                      model=model_label(name), count=len(guessed), icon=":material/check_circle:")
        return
    plain.markdown("{model} gets **{wrong:,}** of {total:,} validation sentences wrong; the first {shown}:",
                   model=model_label(name), wrong=len(rows), total=len(guessed), shown=min(WRONG_ROWS, len(rows)))
    plain.table(pd.DataFrame(rows[:WRONG_ROWS]), hide_index=True)


PARTS = lab.PageParts(
    position_label="words back from the last",
    data_panel=data_panel,
    after_results=after_results,
    blocker=blocker,
    inspect_caption="In the encoder, look for gates that change at a name and at the verb after it.",
)
