"""The lab's model download: a stored run as a zip that predicts outside the app (weights, the
tokenizer or vocabulary, predict.py and a README; core/export/model_zip.py writes it), made only when
its button is pressed."""

from __future__ import annotations

import streamlit as st

from core.export.describe import NotExportable, reader
from core.export.model_zip import folder_name, model_zip
from core.store import runs
from core.tasks.base import DataError
from core.tasks.experiment import Experiment
from ui import plain
from ui.services import run_store, view_data


def download_button(experiment: Experiment, stored: runs.StoredRun) -> None:
    """The button, for a run with saved weights whose data the page can build (otherwise the status
    box or the data panel above already says why there is nothing to take home)."""
    store = run_store()
    if not store.has_weights(stored.run_id):
        return
    try:
        # Refuses, before any button, a lesson whose input cannot be described.
        reader(experiment, view_data(experiment))
    except DataError:
        return
    except NotExportable as error:
        plain.caption("This run cannot be downloaded as a model: {error}.", error=error)
        return
    # Made later: the zip is written when the button is pressed, outside this script run.
    run_id = stored.run_id
    st.download_button(
        "Model (zip to predict with)", lambda: _zip(experiment, run_id),
        file_name=f"{folder_name(stored)}.zip", mime="application/zip", on_click="ignore",
        icon=":material/download:", key="model_download",
        help="The trained models' weights, their tokenizer or vocabulary, a predict.py that needs only torch "
             "(and sentencepiece for text) and a README: the same answers as this page, outside the app.")


def _zip(experiment: Experiment, run_id: str) -> bytes:
    """The zip, from the run and its data read when the button is pressed. Streamlit keeps a download's
    function as long as the tab is open, so the function holds the run's id, not the run or its data:
    a class of open tabs, each on another run, would otherwise keep every run's data alive however
    small the server's cache of data is (bench/session_memory.py)."""
    store = run_store()
    stored = store.load(run_id)
    if stored is None:
        raise DataError(f"Run {run_id} is no longer in the run store.")
    return model_zip(experiment, stored, view_data(experiment), store)
