"""`python -m benchmarks.worlds NAME DIR [--scale S]`: write a labelled world as flows.csv + labels.csv
(+ programmes.csv, its sanctions programmes, for TRADESENTINEL_COUNTRY_PROGRAMMES_FILE)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.worlds import NAMES, load_world, write_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink corridors and events (quick runs)")
    args = parser.parse_args()
    for path in write_world(load_world(args.name, args.scale), args.directory):
        print(path)


if __name__ == "__main__":
    main()
