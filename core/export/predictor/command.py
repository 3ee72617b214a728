"""The command line of a downloaded model: `python predict.py "your input"` (see README.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import InputError, load


def shown(result: dict) -> str:
    """One line of a model's answer."""
    if "answer" in result:
        best = result["probabilities"][result["answer"]]
        return f"{result['answer']} ({100 * best:.0f}%)"
    if "translation" in result:
        return result["translation"] or "(nothing)"
    if "tags" in result:
        return " ".join(f"{word}/{tag}" for word, tag in zip(result["words"], result["tags"]))
    top = ", ".join(f"{item['unit']} {item['probability']:.2f}" for item in result["next"][:3])
    return f"next: {top} | continues: {result['continuation']}"


def main(argv: list[str] | None = None, folder: str | Path | None = None) -> int:
    parser = argparse.ArgumentParser(description="Predict with a model downloaded from RNN Playground.")
    parser.add_argument("input", nargs="?", help="the input: text, or JSON for drawings and vector sequences")
    parser.add_argument("--inputs", metavar="FILE", help="a JSON file holding a list of inputs")
    parser.add_argument("--model", help="only this model of the run (default: every one)")
    parser.add_argument("--json", action="store_true", help="print the answers as JSON")
    args = parser.parse_args(argv)
    if (args.input is None) == (args.inputs is None):
        parser.error("give one input, or --inputs FILE")
    predictor = load(folder if folder is not None else Path(__file__).resolve().parents[1])
    raws = [args.input] if args.inputs is None else json.loads(Path(args.inputs).read_text(encoding="utf-8"))
    if not isinstance(raws, list):
        parser.error("--inputs names a JSON file holding a list of inputs")
    try:
        answers = [predictor.predict(raw, args.model) for raw in raws]
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answers if args.inputs is not None else answers[0]))
        return 0
    for answer in answers:
        for name, result in answer.items():
            print(f"{predictor.labels[name]}: {shown(result)}")
    return 0
