"""`python -m btrnn.bench`: the options of `btrnn bench`."""

import argparse
import sys

from btrnn.bench import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m btrnn.bench")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
