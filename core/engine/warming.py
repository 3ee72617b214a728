"""The presets trained in the background by a server that has just started, so their links open
finished runs without anyone pressing Train.

A host with no build step (Streamlit Community Cloud) starts with an empty run store after every
reboot or wake, and cannot run `python -m core warm` first. The server then warms the presets
itself (RNN_PLAYGROUND_WARM_ON_START=on), through its own job runner so the slots, the memory
budget and the time budget hold as for any job, and only while no visitor's job is queued or
training: a visitor who presses Train waits for at most the one preset in hand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from core.engine.jobs import JobRefused, JobRunner
from core.store.runs import run_id
from core.tasks import registry
from core.tasks.experiment import Experiment, of_preset

logger = logging.getLogger(__name__)

# Not a browser session's id, so the per-session budget never counts the warmer's jobs against anyone.
WARM_OWNER = "preset-warmer"
IDLE_CHECK_SECONDS = 1.0


def preset_experiments() -> list[Experiment]:
    """Every preset's experiment that its link opens; one the settings no longer accept is skipped
    (`python -m core warm` reports it loudly)."""
    experiments = []
    for preset in registry.presets():
        experiment, messages = of_preset(preset)
        if not messages:
            experiments.append(experiment)
    return experiments


class PresetWarmer:
    """Trains each preset not yet stored finished, one at a time, whenever the runner is idle."""

    def __init__(self, runner: JobRunner, experiments: Sequence[Experiment] | None = None,
                 idle_check_seconds: float = IDLE_CHECK_SECONDS):
        self.runner = runner
        self.experiments = list(experiments) if experiments is not None else None
        self.idle_check_seconds = idle_check_seconds
        self.outcomes: dict[str, str] = {}  # run id -> how its warming ended, for the log and tests
        self.finished = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._warm, name="rnn-preset-warmer", daemon=True)

    def start(self) -> PresetWarmer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()

    def runner_idle(self) -> bool:
        return all(job.done for job in self.runner.jobs())

    def _wait_until_idle(self) -> bool:
        """True once no job is queued or training; False when the warmer or the runner closes."""
        while not self._closed.is_set() and not self.runner.closing:
            if self.runner_idle():
                return True
            self._closed.wait(self.idle_check_seconds)
        return False

    def _warm(self) -> None:
        try:
            experiments = self.experiments if self.experiments is not None else preset_experiments()
            for experiment in experiments:
                if self.runner.store is not None and self.runner.store.find(experiment, finished_only=True):
                    continue
                if not self._wait_until_idle():
                    return
                try:
                    job = self.runner.submit(experiment, owner=WARM_OWNER)
                except (JobRefused, RuntimeError) as error:  # a budget refuses it, or the server shuts down
                    self.outcomes[run_id(experiment)] = f"refused: {error}"
                    logger.warning("Preset run %s was not warmed: %s", run_id(experiment), error)
                    continue
                job.wait()
                self.outcomes[job.run_id] = job.status
                logger.info("Preset run %s warmed in the background: %s.", job.run_id, job.status)
        finally:
            self.finished.set()

