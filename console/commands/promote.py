"""`evorisk promote`, `evorisk promotions`, `evorisk restore-previous`: the only way a genome
becomes active in the monitor. Each promotion records who, when, from which run, and the
genome's out-of-sample metrics; restoring appends a copy of the previous one (history is kept).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from datetime import datetime, timezone

from console.exit_codes import EXIT_OK
from console import argtypes as at


def _repo(args: argparse.Namespace):
    from console.cli import open_store
    from storage.monitor_repo import MonitorRepo

    return MonitorRepo(open_store(args))


def cmd_promote(args: argparse.Namespace) -> int:
    from core.errors import BadInputError
    from core.genome import load_genome_file, validate_genes
    from core.market.interval import promotion_note

    repo = _repo(args)
    by = args.by or getpass.getuser()
    if args.genome_id is not None:
        row = repo.store.get_genome(args.genome_id)
        if row is None:
            raise BadInputError(f"no genome with id {args.genome_id}")
        genes = [float(g) for g in validate_genes(row["genes"])]
        label = row["label"] or f"genome {args.genome_id}"
        run_id, metrics = args.run or row["run_id"], row["metrics"]
        run = repo.store.get_run(row["run_id"]) if row["run_id"] is not None else None
        evolved_on = run.get("bar_interval") if run else None
    else:
        g, meta = load_genome_file(args.file)[0]
        genes, label = [float(x) for x in g], str(meta.get("label", args.file))
        run_id, metrics = args.run, meta.get("oos_metrics", meta.get("metrics", {}))
        evolved_on = meta.get("bar_interval")
    if args.run is not None and repo.store.get_run(args.run) is None:  # before anything is stored
        raise BadInputError(f"--run {args.run}: no such run in {repo.store.path} (`evorisk runs` lists them)")
    from console.live import record_protection
    from core.genome import decode
    from core.monitor.standing_preview import orders_to_rest, rule_summary

    interval_line = promotion_note(evolved_on, label)  # before anything is stored
    pid = repo.promote(genes, label, by, int(time.time() * 1000), genome_id=args.genome_id, run_id=run_id,
                       oos_metrics=metrics if isinstance(metrics, dict) else {})
    record_protection(repo, True, by, f"promotion #{pid} approved its standing exits")
    params = decode(genes)
    last = repo.latest_good_snapshot() or {}
    orders = orders_to_rest(params, last.get("positions", ()))
    sys.stdout.write(f"promotion #{pid}: {label} by {by}; the monitor uses it from its next cycle\n{interval_line}\n"
                     f"this promotion approves its standing exits (recorded): {rule_summary(params)}\n")
    if orders:
        sys.stdout.write("orders that will rest for the open positions (entry-time levels; the monitor scales "
                         "them with volatility and regime):\n" + "".join(f"  {line}\n" for line in orders))
    return EXIT_OK


def cmd_promotions(args: argparse.Namespace) -> int:
    rows = _repo(args).promotions(args.limit)
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return EXIT_OK
    if not rows:
        sys.stdout.write("nothing promoted: the monitor runs the default genome\n")
    for i, row in enumerate(rows):
        when = datetime.fromtimestamp(row["promoted_ms"] / 1000, timezone.utc).isoformat(timespec="seconds")
        active = " (active)" if i == 0 else ""
        source = f"run {row['run_id']}" if row["run_id"] is not None else "no run"
        restored = f" restored from #{row['restored_from']}" if row["restored_from"] else ""
        sys.stdout.write(f"#{row['id']}{active} {when} by {row['promoted_by']}: {row['label']} ({source}){restored} "
                         f"oos={json.dumps(row['oos_metrics'], sort_keys=True)}\n")
    return EXIT_OK


def cmd_restore_previous(args: argparse.Namespace) -> int:
    from core.errors import BadInputError

    repo = _repo(args)
    rows = repo.promotions(2)
    if len(rows) < 2:
        raise BadInputError("there is no previous promotion to restore")
    prev = rows[1]
    by = args.by or getpass.getuser()
    pid = repo.promote(prev["genes"], prev["label"], by, int(time.time() * 1000), genome_id=prev["genome_id"],
                       run_id=prev["run_id"], oos_metrics=prev["oos_metrics"], restored_from=prev["id"])
    sys.stdout.write(f"promotion #{pid}: restored #{prev['id']} ({prev['label']}) by {by}\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("promote", parents=[common], help="make a genome the monitor's active genome")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--genome-id", type=at.row_id, help="a genome stored by an evolution run")
    src.add_argument("--file", help="a genome JSON file")
    p.add_argument("--run", type=at.row_id, help="the run it comes from")
    p.add_argument("--by", help="operator name (default: the login name)")
    p.set_defaults(func=cmd_promote)

    ls = sub.add_parser("promotions", parents=[common], help="promotion history, newest (active) first")
    ls.add_argument("--limit", type=at.count, default=20)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_promotions)

    rp = sub.add_parser("restore-previous", parents=[common], help="re-activate the previous promotion")
    rp.add_argument("--by", help="operator name (default: the login name)")
    rp.set_defaults(func=cmd_restore_previous)
