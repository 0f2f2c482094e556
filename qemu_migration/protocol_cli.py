"""qemu-migration protocol: whole migrations between two hosts, as a matrix.

    qemu-migration protocol [--json|--markdown] [--flow F] [--source V] [--destination V]
                            [--domain D] [--variant NAME|all] [--faults]
"""
import json

from .cliutil import JSON_SCHEMA, UsageError, versions
from .engine import protocol as P
from .engine.protocol_text import render_markdown, render_text


def _one_of(value, names, what):
    if value in (None, "all"):
        return list(names)
    if value not in names:
        raise UsageError("protocol: unknown %s '%s' (expected %s or all)"
                         % (what, value, ", ".join(names)))
    return [value]


def cmd_protocol(args, out):
    flows = _one_of(args.flow, P.FLOW_NAMES, "flow")
    kinds = _one_of(args.domain, P.DOMAIN_KINDS, "domain")
    try:
        sources = versions(args.source)
        destinations = versions(args.destination)
    except UsageError as e:
        raise UsageError("protocol: %s" % e) from None
    # the faulted matrix over processes (P.jobs: QEMU_MIGRATION_JOBS, else one per core)
    jobs = P.jobs() if args.faults else 1
    if args.variant is None:
        rows = P.matrix(flows, sources, destinations, kinds, faults=args.faults, jobs=jobs)
    else:
        # each variant on the flows asked for that it applies to
        rows = [r for name in _one_of(args.variant, P.VARIANT_NAMES, "variant")
                for r in P.matrix(flows, sources, destinations, kinds, faults=args.faults,
                                  variant=name, jobs=jobs)]
    if args.json:
        json.dump({"schema": JSON_SCHEMA, "note": P.V2_NOTE, "rows": rows}, out, indent=1)
        out.write("\n")
    elif args.markdown:
        out.write(render_markdown(rows, args.faults))
    else:
        out.write(render_text(rows, args.faults))
    return 0


def add_commands(sub):
    p = sub.add_parser("protocol", help="run whole migrations between two hosts: every flow, "
                                        "version pair and domain, optionally every fault")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--markdown", action="store_true")
    p.add_argument("--flow", metavar="F", help="one of %s [all]" % ", ".join(P.FLOW_NAMES))
    p.add_argument("--source", metavar="V", help="the source's version [all]")
    p.add_argument("--destination", metavar="V", help="the destination's version [all]")
    p.add_argument("--domain", metavar="D", help="one of %s [all]" % ", ".join(P.DOMAIN_KINDS))
    p.add_argument("--variant", metavar="NAME",
                   help="the migrations changed by a variant (extra flags, dname, uri, the "
                        "guest's state, lock managers...): one of %s, or all"
                        % ", ".join(P.VARIANT_NAMES))
    p.add_argument("--faults", action="store_true",
                   help="also every faultable call on either host (and the wire) failing "
                        "in turn")
    p.set_defaults(func=cmd_protocol)
