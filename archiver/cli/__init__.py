"""The ``archiver`` command line: one module per subcommand, found by name in this package.

A subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func=<callable(args) -> int>``. The modules parse, print and choose exit codes; the work is
done by the library.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from .. import __version__, exitcodes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archiver",
        description="Unwrap e-mail security links and archive the original pages as WARC files.",
        epilog="Run 'archiver COMMAND --help' for a command's options. Exit codes are in the README.",
    )
    parser.add_argument("--version", action="version", version=f"archiver {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    for subparser in subparsers.choices.values():
        # main() reports an unknown option with the usage of the subcommand it was given to.
        subparser.set_defaults(command_parser=subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    try:
        args, unknown = build_parser().parse_known_args(argv)
        if unknown:
            args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")  # exits with 2
        return int(args.func(args))
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `archiver links | head`): not an error of ours.
        sys.stderr.close()
        return exitcodes.OK


if __name__ == "__main__":
    sys.exit(main())
