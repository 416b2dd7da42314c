"""`evorisk promote`, `evorisk promotions`, `evorisk restore-previous`: the only way a genome
becomes active in the monitor. Each promotion records who, when, from which run, and the
genome's out-of-sample metrics; restoring appends a copy of the previous one (history is kept).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from console import argtypes as at
from console.cli_options import add_listing_options, add_operator_option, operator
from console.exit_codes import EXIT_OK
from console.views.listing import write_listing


def _repo(args: argparse.Namespace):
    from console.services.opening import open_args_store  # heavy: the store
    from storage.monitor_repo import MonitorRepo

    return MonitorRepo(open_args_store(args))


def cmd_promote(args: argparse.Namespace) -> int:
    from console.services.promotions import promote_genome

    by = operator(args)
    done = promote_genome(_repo(args), by, genome_id=args.genome_id, file=args.file, run_id=args.run)
    sys.stdout.write(f"promotion #{done.promotion_id}: {done.label} by {by}; the monitor uses it from its next "
                     f"cycle\n{done.interval_note}\n"
                     f"this promotion approves its standing exits (recorded): {done.rule_summary}\n")
    if done.orders_to_rest:
        sys.stdout.write("orders that will rest for the open positions (entry-time levels; the monitor scales "
                         "them with volatility and regime):\n" + "".join(f"  {line}\n" for line in done.orders_to_rest))
    return EXIT_OK


def cmd_promotions(args: argparse.Namespace) -> int:
    rows = _repo(args).promotions(args.limit)
    write_listing(list(enumerate(rows)), args.json, _promotion_lines,
                  "nothing promoted: the monitor runs the default genome", json_rows=rows)
    return EXIT_OK


def _promotion_lines(numbered: tuple[int, dict]) -> list[str]:
    i, row = numbered
    when = datetime.fromtimestamp(row["promoted_ms"] / 1000, timezone.utc).isoformat(timespec="seconds")
    active = " (active)" if i == 0 else ""
    source = f"run {row['run_id']}" if row["run_id"] is not None else "no run"
    restored = f" restored from #{row['restored_from']}" if row["restored_from"] else ""
    return [f"#{row['id']}{active} {when} by {row['promoted_by']}: {row['label']} ({source}){restored} "
            f"oos={json.dumps(row['oos_metrics'], sort_keys=True)}"]


def cmd_restore_previous(args: argparse.Namespace) -> int:
    from console.services.promotions import restore_previous

    by = operator(args)
    pid, prev = restore_previous(_repo(args), by)
    sys.stdout.write(f"promotion #{pid}: restored #{prev['id']} ({prev['label']}) by {by}\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("promote", parents=[common], help="make a genome the monitor's active genome")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--genome-id", type=at.row_id, help="a genome stored by an evolution run")
    src.add_argument("--file", help="a genome JSON file")
    p.add_argument("--run", type=at.row_id, help="the run it comes from")
    add_operator_option(p)
    p.set_defaults(func=cmd_promote)

    ls = sub.add_parser("promotions", parents=[common], help="promotion history, newest (active) first")
    add_listing_options(ls, 20, "promotions")
    ls.set_defaults(func=cmd_promotions)

    rp = sub.add_parser("restore-previous", parents=[common], help="re-activate the previous promotion")
    add_operator_option(rp)
    rp.set_defaults(func=cmd_restore_previous)
