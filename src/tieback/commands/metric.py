"""``tieback metric record``: keep a reading of an outcome's or impact's metric in the store."""

from __future__ import annotations

import argparse

from tieback.commands import EXIT_OK, load


def run(args: argparse.Namespace) -> int:
    from tieback.metrics import record_reading

    print(record_reading(load(args), None, args.id, args.value, args.at))
    return EXIT_OK
