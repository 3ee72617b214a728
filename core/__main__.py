"""`python -m core`: hands the command line to core.cli, where the commands live."""

from core.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
