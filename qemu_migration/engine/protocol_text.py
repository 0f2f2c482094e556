"""The protocol matrix in words: one line (or table row) per migration, and a summary."""
from .protocol import V2_NOTE


def _err(e):
    return e["message"] if e else "-"


def _second(s):
    if s is None:
        return "-"
    if s["outcome"] == "migrated":
        return "migrated"
    return "refused at %s: %s" % (s["refused_at"], _err(s["error"]))


def _viol(r):
    return ", ".join(sorted({"%s@%s" % (v["invariant"], v["host"]) for v in r["violations"]}))


COLUMNS = ["flow", "source", "destination", "domain", "variant", "fault", "outcome",
           "refused at", "stranded", "error", "violations", "second attempt"]


def cells(r):
    # a wakeup row's wakeup shows in the fault column (another thread's doing)
    fault = "; ".join(x for x in (r["fault"], r.get("wakeup") and "wakeup " + r["wakeup"])
                      if x)
    return [r["flow"], r["source"], r["destination"], r["domain"], r.get("variant") or "-",
            fault or "-", r["outcome"], r["refused_at"] or "-",
            "STRANDED" if r["stranded"] else "no", _err(r["error"]), _viol(r) or "-",
            _second(r["second_attempt"])]


def _shown(rows, faults):
    """The columns shown: "fault" only with faults, "variant" only for variant rows."""
    variants = any("variant" in r for r in rows)
    return [name for name in COLUMNS
            if (faults or name != "fault") and (variants or name != "variant")]


def _times_out(row):
    """Whether the row's second attempt was refused on a job wait's timeout."""
    second = row["second_attempt"]
    return (second is not None and second["outcome"] == "refused"
            and second["error"] is not None
            and second["error"]["code"] == "VIR_ERR_OPERATION_TIMEOUT")


def summary(rows):
    n = len(rows)
    migrated = sum(r["outcome"] == "migrated" for r in rows)
    stranded = sum(bool(r["stranded"]) for r in rows)
    leaky = sum(bool(r["violations"]) for r in rows)
    # a timeout is the first attempt's doing when it left an async job (the invariant says
    # so); else the job waited for is another thread's (the busy and incoming variants')
    timeouts = [any(v["invariant"] == "async-job-leaked" for v in r["violations"])
                for r in rows if _times_out(r)]
    blocked, others = sum(timeouts), len(timeouts) - sum(timeouts)
    text = ("%d migrations: %d migrated, %d refused; %d strand snapshot metadata; %d leave "
            "a host in a state an invariant forbids; %d second attempts time out on a job the "
            "first left" % (n, migrated, n - migrated, stranded, leaky, blocked))
    if others:
        text += "; %d on a job another thread holds" % others
    return text


def render_text(rows, faults=False):
    cols = _shown(rows, faults)
    table = [[c for c, name in zip(cells(r), COLUMNS) if name in cols] for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in table]) for i, c in enumerate(cols)]
    # the last three columns are free text: not padded, one after the other with " | "
    fixed = len(cols) - 3

    def line(vals):
        return ("  ".join(v.ljust(w) for v, w in zip(vals[:fixed], widths))
                + "  " + " | ".join(vals[fixed:])).rstrip()
    out = [V2_NOTE, line(cols)] + [line(t) for t in table] + [summary(rows)]
    return "\n".join(out) + "\n"


def render_markdown(rows, faults=False):
    cols = _shown(rows, faults)
    out = ["_%s._" % V2_NOTE, "", "| " + " | ".join(cols) + " |",
           "|" + "---|" * len(cols)]
    for r in rows:
        vals = [c for c, name in zip(cells(r), COLUMNS) if name in cols]
        out.append("| " + " | ".join(v.replace("|", "\\|") for v in vals) + " |")
    out += ["", summary(rows)]
    return "\n".join(out) + "\n"
