"""``python -m psconfig``: the same entry point as the console script."""

from psconfig.cli import main

main()
