"""The run bundle: a stored run as JSON (settings, histories, versions; never weights), and the
checks an imported bundle must pass before the store trusts it."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from core.data.history import STATUSES, History, check_consistent
from core.settings import environment
from core.tasks import experiment as config

BUNDLE_FORMAT = "rnn-playground-run"
BUNDLE_VERSION = 1
# Checked before a bundle is parsed: a 71 MB bundle took 1.07 GB to import. The largest runs the
# settings allow (5000 steps probed every 5, 3 layers, 200 steps, 7 cells) are bigger; they still
# train and show locally, and are refused here with a message that says so.
def max_bundle_bytes() -> int:
    """RNN_PLAYGROUND_MAX_BUNDLE_MB in bytes (16 MB unless set), read when a bundle is."""
    return int(environment.read("RNN_PLAYGROUND_MAX_BUNDLE_MB") * 1024 * 1024)


# An exported bundle nests 6 deep (bundle, histories, cell, probes, probe, layer); copying or
# saving a far deeper one ran out of stack.
MAX_DEPTH = 8
MAX_TEXT = 10_000
# Statuses an imported run may have: only runs that have ended. A "running" one would stay
# running forever, since no job here will ever finish it.
IMPORT_STATUSES = ("finished", "stopped", "diverged")
_HEX = re.compile(r"[0-9a-f]{1,64}")
class BundleError(ValueError):
    """An imported run bundle that cannot be trusted; the message is meant for the user."""


def _is_params(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and (isinstance(item, str) or (
            isinstance(item, list) and all(isinstance(part, str) for part in item)))
        for key, item in value.items()
    )


class _RefusedJSON(ValueError):
    """JSON that parses but that export never writes (a repeated key, NaN); its message is for the user."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _RefusedJSON(f"The bundle names the key {key[:40]!r} twice in one object, so it is ambiguous.")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise _RefusedJSON(f"The bundle holds {name}, which is not a number JSON allows.")


def parse_bundle(text: str | bytes) -> Any:
    """The JSON of a bundle, refusing what export never writes: more than max_bundle_bytes(), a key
    repeated within one object (which JSON readers resolve differently), NaN or Infinity."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    cap = max_bundle_bytes()
    if size > cap:
        raise BundleError(f"The bundle is {size / 1024 / 1024:.1f} MB; this server imports bundles of at most "
                          f"{cap / 1024 / 1024:g} MB (RNN_PLAYGROUND_MAX_BUNDLE_MB).")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _RefusedJSON as error:
        raise BundleError(str(error)) from None
    except (ValueError, RecursionError) as error:
        raise BundleError(f"The file is not valid JSON: {str(error)[:200]}") from None


def check_plain(value: Any) -> None:
    """BundleError unless `value` is plain JSON data a run store can hold: nested at most MAX_DEPTH,
    strings of at most MAX_TEXT characters that are valid Unicode, finite numbers. Iterative, so
    it cannot itself run out of stack, and it runs before anything copies the data."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise BundleError(f"The bundle nests deeper than {MAX_DEPTH} levels; an exported run never does.")
        if isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if len(item) > MAX_TEXT:
                raise BundleError(f"The bundle holds a text of {len(item):,} characters; the limit is {MAX_TEXT:,}.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BundleError("The bundle holds text that is not valid Unicode (a lone surrogate).") from None
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BundleError("The bundle holds a number that is not finite.")
        elif not (item is None or isinstance(item, (bool, int))):
            raise BundleError(f"The bundle holds a {type(item).__name__}, which is not JSON data.")


def read_bundle(bundle: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """The checked contents of a bundle, or BundleError saying what is wrong."""
    if isinstance(bundle, (str, bytes)):
        bundle = parse_bundle(bundle)
    check_plain(bundle)
    if not isinstance(bundle, dict):
        raise BundleError("The file is not a run bundle: it should hold one JSON object.")
    if bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"The file is not an RNN Playground run (format should be"
                          f" {BUNDLE_FORMAT!r}).")
    version = bundle.get("version")
    if type(version) is not int or version != BUNDLE_VERSION:
        raise BundleError(f"Run bundle version {version!r} is not supported (expected"
                          f" {BUNDLE_VERSION}).")
    params = bundle.get("params")
    if not _is_params(params):
        raise BundleError("The bundle's settings must map names to text values.")
    experiment, messages = config.from_params(params)
    if messages:
        raise BundleError("The bundle's settings are not valid: " + " ".join(messages))
    if bundle.get("task") != experiment.task:
        raise BundleError("The bundle's task does not match its settings.")
    raw_histories = bundle.get("histories")
    if not isinstance(raw_histories, dict) or not raw_histories:
        raise BundleError("The bundle holds no training histories.")
    histories = {}
    for cell, raw in raw_histories.items():
        if cell not in config.model_names(experiment):
            raise BundleError(f"The bundle has a history for {str(cell)[:40]!r}, which is not"
                              " one of its cells.")
        try:
            history = History.from_dict(raw)
            if not isinstance(history.metric, str) or not isinstance(history.message, str):
                raise ValueError("metric and message must be text")
            check_consistent(history)
        except ValueError as error:
            raise BundleError(f"The {cell} history is malformed: {error}.") from None
        except (TypeError, AttributeError):  # a field of the wrong kind, e.g. a list for a map
            raise BundleError(f"The {cell} history is malformed: a field has the wrong"
                              " type.") from None
        if history.cell != cell:
            raise BundleError(f"The {cell} history names another cell, {history.cell[:40]!r}.")
        if history.status not in IMPORT_STATUSES:
            raise BundleError(f"The {cell} history is {history.status!r}; an imported run must have ended "
                              f"({', '.join(IMPORT_STATUSES)}).")
        histories[cell] = history
    checked = {"experiment": experiment, "params": params, "histories": histories}
    status, message = bundle.get("status"), bundle.get("message", "")
    if status not in STATUSES:
        raise BundleError(f"The bundle's status {str(status)[:40]!r} is not known.")
    if status not in IMPORT_STATUSES:
        raise BundleError(f"The bundle's run is {status!r}; an imported run must have ended "
                          f"({', '.join(IMPORT_STATUSES)}), since nothing here will finish it.")
    if not isinstance(message, str):
        raise BundleError("The bundle's message must be text.")
    library = bundle.get("versions", {})
    if not isinstance(library, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in library.items()
    ):
        raise BundleError("The bundle's library versions must map names to text.")
    code_version = bundle.get("code_version")
    if not isinstance(code_version, str) or not _HEX.fullmatch(code_version):
        raise BundleError("The bundle's code version is missing or not a hex digest.")
    if not isinstance(bundle.get("run_id"), str):
        raise BundleError("The bundle has no run id.")
    checked.update(status=status, message=message, versions=library, code_version=code_version,
                   run_id=bundle["run_id"])
    return checked
