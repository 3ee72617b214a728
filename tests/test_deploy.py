"""Static checks of what a Docker host runs, since no Docker engine is available to build it here:
the CPU-only torch wheel at the pinned version, a non-root user, the warm step, the served port,
files that exist, and hosted budgets that still let every preset train to the end.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from core.engine.jobs import job_weights
from core.tasks.experiment import of_preset
from core.tasks.registry import presets

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def environment() -> dict[str, str]:
    values = {}
    for word, rest in instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                values[name] = value
    return values


def requirement_pins(*files: str) -> dict[str, str]:
    """Each package's exact pin in the requirements files, by lower-case name."""
    pins = {}
    for name in files:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                package, version = line.split("==", 1)
                pins[package.strip().lower()] = version.strip()
    return pins


def pinned(package: str) -> str:
    pins = requirement_pins("requirements.txt")
    assert package in pins, f"{package} is not pinned in requirements.txt"
    return pins[package]


def test_torch_comes_from_the_cpu_index_at_the_pinned_version():
    runs = [rest for word, rest in instructions() if word == "RUN"]
    torch_install = [run for run in runs if "torch==" in run]
    assert torch_install, "no RUN installs torch"
    assert f"--index-url {CPU_INDEX}" in torch_install[0]
    assert f"torch=={pinned('torch')}" in torch_install[0]
    # torch is installed before requirements.txt, so pip finds it satisfied and keeps the CPU wheel.
    flat = " ".join(runs)
    assert flat.index("torch==") < flat.index("-r requirements.txt")


def test_image_runs_as_a_non_root_user_and_warms_the_store():
    steps = instructions()
    assert steps[0][0] == "FROM" and steps[0][1].startswith("python:3.11")
    users = [i for i, (word, rest) in enumerate(steps) if word == "USER"]
    assert users and steps[users[-1]][1] not in ("root", "0")
    warm = [i for i, (word, rest) in enumerate(steps) if word == "RUN" and "python -m core warm" in rest]
    assert warm and warm[0] > users[-1], "presets must be warmed as the user that serves them"
    command = next(rest for word, rest in steps if word == "CMD")
    assert "streamlit run app.py" in command and "python -m core warm &" in command


def test_served_port_is_exposed_and_files_copied_exist():
    steps = instructions()
    port = environment()["PORT"]
    assert ("EXPOSE", port) in steps
    command = next(rest for word, rest in steps if word == "CMD")
    assert "--server.port ${PORT}" in command and "--server.address 0.0.0.0" in command
    for word, rest in steps:
        if word == "COPY":
            sources = [part for part in shlex.split(rest) if not part.startswith("--")][:-1]
            for source in sources:
                assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_hosted_budgets_let_every_preset_finish():
    env = environment()
    for preset in presets():
        experiment, messages = of_preset(preset)
        assert not messages
        assert experiment.train.steps <= int(env["RNN_PLAYGROUND_MAX_STEPS"]), preset.title
        assert job_weights(experiment) <= int(env["RNN_PLAYGROUND_MAX_WEIGHTS"]), preset.title
    assert env["RNN_PLAYGROUND_DB"].startswith("/home/app/")  # writable by the non-root user


def test_community_clouds_pipfile_pins_what_make_installs_with_torch_from_the_cpu_index():
    import tomllib

    pipfile = tomllib.loads((ROOT / "Pipfile").read_text())
    sources = {source["name"]: source["url"] for source in pipfile["source"]}
    packages = {name.lower(): spec for name, spec in pipfile["packages"].items()}
    torch = packages.pop("torch")
    assert sources[torch["index"]] == CPU_INDEX and torch["version"] == f"=={pinned('torch')}"
    assert sources["pypi"] == "https://pypi.org/simple"
    pins = {name: version for name, version in requirement_pins("requirements.txt", "requirements-data.txt").items()
            if name != "torch"}
    # scattertext installs only with --no-deps, which pipenv cannot say (see the Pipfile's header).
    assert pins.pop("scattertext") and "scattertext" not in packages
    assert {name: spec.removeprefix("==") for name, spec in packages.items()} == pins
    assert pipfile["requires"]["python_version"] == "3.11"


def test_community_cloud_reads_the_pipfile_before_any_other_dependency_file():
    # Community Cloud takes the first of uv.lock, Pipfile, environment.yml, requirements.txt.
    assert (ROOT / "Pipfile").exists()
    assert not any((ROOT / name).exists() for name in ("uv.lock", "environment.yml", "environment.yaml"))
