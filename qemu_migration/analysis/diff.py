"""What changed between two versions, over every generated case.

Each case is run on both versions.  An outcome is reduced to its *signature*:
what a caller and a reviewer can tell apart (return value, failure, error
code and message with digits masked, invariant violations, the state the
domain is left in, events, out-parameters; not the trace or the logs).  The
state is given relative to the state before the call: a field the call left
alone reads "=", references read as the change ("+1"), so that one behaviour
over many starting states is one class.

Cases with the same (from, to) signature pair form a class.  For a class
whose two signatures differ the report gives the fewest dimensions that
select it (see minimise.py), the outcome on each side, the violations on
each side and the number of cases.  Classes whose cases have no fault come
first.  Nothing in the report is written by hand: the headline counts too
are computed.
"""
import re
from collections import OrderedDict

from ..engine import invariants
from ..engine.batch import collector_off
from ..engine.outcome import Outcome, state_words
from ..port.registry import ENTRY_NAMES
from ..world.constants import ERROR_CODE_NAMES, EVENT_NAMES
from . import cases as C
from .minimise import Space

STATE_KEYS = ["job", "async_job", "phase", "refs", "locked", "in_list", "id", "state"]
_DIGITS = re.compile(r"\d+")


def mask_digits(text):
    return None if text is None else _DIGITS.sub("N", text)


def relative_state(before, after):
    """The after-state essentials, each as "=" when the call left it as it was."""
    if after is None:
        return "(no domain)"
    if not after["exists"]:
        return "freed"
    out = []
    for k in STATE_KEYS:
        a = after[k]
        b = before.get(k) if before and before.get("exists") else None
        if k == "refs" and b is not None:
            delta = a - b
            out.append((k, "=" if delta == 0 else "%+d" % delta))
        elif b is not None and a == b:
            out.append((k, "="))
        else:
            out.append((k, a))
    return tuple(out)


def signature(o):
    """The parts of an outcome that a class must agree on (hashable)."""
    err = o["error"]
    return (
        repr(o["return"]),
        o["failed"],
        err["code"] if err else None,
        mask_digits(err["message"]) if err else None,
        len(o["errors"]),
        tuple(sorted(v["invariant"] for v in o["violations"])),
        relative_state(o["before"], o["after"]),
        tuple("%s(%s)" % (e["type"], e["domain"]) for e in o["driver"]["events"]),
        tuple(sorted((k, repr(v)) for k, v in o["out"].items())),
        tuple(o["driver"]["domains"]),
    )


# what ``reading`` has put into words, by what it was made of: the (before, after) pairs
# of a domain's states and the masked messages of a whole diff are a few hundred each
_MEMO_MAX = 4096
_STATES: dict = {}      # (before raw, after raw) -> (before, after, relative_state)
_MASKED: dict = {}      # message -> mask_digits(message)


def _memo(table, key, make, *args):
    value = table.get(key)
    if value is None:
        value = make(*args)
        if len(table) < _MEMO_MAX:
            table[key] = value
    return value


def _states(before_raw, after_raw):
    """The states before and after as ``state_words`` dicts (read, never handed out) and
    the relative state they make."""
    before = None if before_raw is None else state_words(before_raw)
    after = None if after_raw is None else state_words(after_raw)
    return before, after, relative_state(before, after)


def reading(o):
    """``signature(o)``, read straight from a recorded ``Outcome``'s world and raw states
    (an outcome dict, or an ``Outcome`` built whole, which let its world go, is read as
    ``signature`` reads it): what ``diff`` keeps of a run.

    The same values, made without building the keys it reads: the error left set and
    the errors raised from the world's ``VirError``s, the domain's states put into words
    once per distinct pair (``state_raw`` tuples), the violations checked on those,
    the events since the call began and the domains listed from the driver."""
    w = o.world if type(o) is Outcome else None
    if w is None:
        return signature(o)
    err = w.last_error
    raw = (o.before_raw, o.after_raw)
    before, after, relative = _memo(_STATES, raw, _states, *raw)
    driver = w.driver
    events = driver.events[o.events_from:]
    violations = invariants.check(o.call.function, o.failed, before, after, w, events)
    if err is None:
        code = message = None
    else:
        code = ERROR_CODE_NAMES[err.code]
        text = err.message
        message = _memo(_MASKED, text, mask_digits, text)
    return (
        repr(o.ret),
        o.failed,
        code,
        message,
        len(w.errors),
        tuple(sorted([v["invariant"] for v in violations])) if violations else (),
        relative,
        tuple(["%s(%s)" % (EVENT_NAMES.get(e.type, str(e.type)), e.domain) for e in events])
        if events else (),
        tuple(sorted((k, repr(v)) for k, v in o.out.items())),
        tuple(sorted(vm.def_.name for vm in driver.domains.values())),
    )


def state_text(o):
    """The after-state essentials that changed, for people: "async=migration out refs+1"."""
    rel = relative_state(o["before"], o["after"])
    if isinstance(rel, str):
        return rel
    short = {"async_job": "async", "in_list": "listed"}
    parts = []
    for k, v in rel:
        if v == "=":
            continue
        name = short.get(k, k)
        if k == "refs":
            parts.append("refs%s" % v if o["before"] and o["before"].get("exists")
                         else "refs=%s" % v)
        elif k == "locked":
            parts.append("locked" if v else "unlocked")
        elif k == "in_list":
            parts.append("listed" if v else "not-listed")
        else:
            parts.append("%s=%s" % (name, v))
    return " ".join(parts) or "unchanged"


def side(o):
    """One side of a class, as the report shows it."""
    err = o["error"]
    ret = o["return"]
    if isinstance(ret, str) and len(ret) > 60:
        ret_text = "<xml>"
    else:
        ret_text = "NULL" if ret is None else repr(ret)
    return OrderedDict([
        ("return", ret_text),
        ("failed", o["failed"]),
        ("error", err["message"] if err else None),
        ("error_code", err["code"] if err else None),
        ("errors_raised", len(o["errors"])),
        ("state", state_text(o)),
        ("events", ["%s(%s)" % (e["type"], e["domain"]) for e in o["driver"]["events"]]),
        ("violations", [v["invariant"] for v in o["violations"]]),
        ("violation_details", [v["detail"] for v in o["violations"]]),
    ])


def _fault_rank(desc_values):
    if desc_values == {C.NO_FAULT}:
        return 0
    if C.NO_FAULT in desc_values:
        return 1
    return 2


def _error_key(sig):
    """What a fault-free failure is grouped by, from its signature: the error left set,
    digits masked, and the invariants it breaks."""
    return sig[3], sig[5]


@collector_off()
def diff(from_version="pre", to_version="post", functions=None):
    """The diff as a dict (JSON-ready): cases, headline, changes, refusals, classes.

    headline  per function: cases, classes, changed classes and cases
    changes   per function, the changed cases grouped by what ``to`` does now
    refusals  per function, every failure of ``to`` without faults, changed or not,
              with its invariant violations: what a refusal leaves behind
    classes   the (from, to) classes that differ, fault-free ones first

    Each run is read once, for its signature (``reading``), and let go
    (``cases.readings``): every count, group and "was" line comes from the signatures;
    only the example of each entry is run again and read whole (``side``).  Made
    without the cyclic collector, as the runs are (engine/batch.py): the signatures
    are tens of thousands of tuples and no cycle, which the collector would only scan
    again and again.
    """
    functions = [C.resolve_function(f) or f for f in (functions or ENTRY_NAMES)]
    result = OrderedDict([("from", from_version), ("to", to_version), ("cases", 0),
                          ("headline", []), ("changes", []), ("refusals", []),
                          ("classes", [])])
    all_classes = []
    every_sig_a, every_sig_b = C.readings([from_version, to_version],
                                          C.enumerate_cases(functions), reading)

    def whole(version, case):
        return C.lazy_outcomes(version, [case])[0]

    start = 0
    for f in functions:
        cs = C.enumerate_cases([f])
        sig_a = every_sig_a[start:start + len(cs)]
        sig_b = every_sig_b[start:start + len(cs)]
        start += len(cs)
        groups = OrderedDict()
        for i, key in enumerate(zip(sig_a, sig_b)):
            groups.setdefault(key, []).append(i)
        space = Space([c.dims for c in cs], C.dimension_names(f))
        changed = [(k, idx) for k, idx in groups.items() if k[0] != k[1]]
        n_changed = sum(len(idx) for _, idx in changed)
        nofault_changed = sum(1 for _, idx in changed
                              if any(cs[i].dims["fault"] == C.NO_FAULT for i in idx))
        result["headline"].append(OrderedDict([
            ("function", f), ("short", C.SHORT[f]), ("cases", len(cs)),
            ("classes", len(groups)), ("changed_classes", len(changed)),
            ("changed_classes_without_fault", nofault_changed),
            ("changed_cases", n_changed),
            ("unchanged", not changed),
        ]))
        result["cases"] += len(cs)

        def pick(idx):
            return next((i for i in idx if cs[i].dims["fault"] == C.NO_FAULT), idx[0])

        # the changed cases, by what the new version does
        by_to = OrderedDict()
        for (sa, sb), idx in changed:
            by_to.setdefault(sb, []).extend(idx)
        for sb, idx in sorted(by_to.items(), key=lambda kv: (
                _fault_rank({cs[i].dims["fault"] for i in kv[1]}), -len(kv[1]))):
            idx.sort()
            ex = pick(idx)
            was = OrderedDict()
            for i in idx:
                k = _was_text(sig_a[i])
                was[k] = was.get(k, 0) + 1
            desc = space.describe(idx)
            result["changes"].append(OrderedDict([
                ("function", f), ("short", C.SHORT[f]), ("count", len(idx)),
                ("of", len(cs)), ("inputs", desc.text()), ("description", desc.as_dict()),
                ("faults", ["none", "some", "only"][
                    _fault_rank({cs[i].dims["fault"] for i in idx})]),
                ("example", cs[ex].id), ("to", side(whole(to_version, cs[ex]))),
                ("was", [OrderedDict([("outcome", k), ("count", n)])
                         for k, n in sorted(was.items(), key=lambda kv: -kv[1])]),
            ]))

        # every fault-free failure of the new version, changed or not
        nf = [i for i, c in enumerate(cs) if c.dims["fault"] == C.NO_FAULT]
        nf_space = Space([cs[i].dims for i in nf], C.dimension_names(f)[:-1])
        fails = OrderedDict()
        for j, i in enumerate(nf):
            if sig_b[i][1]:
                fails.setdefault(_error_key(sig_b[i]), []).append(j)
        for key, js in sorted(fails.items(), key=lambda kv: -len(kv[1])):
            ex = nf[js[0]]
            b_ex = whole(to_version, cs[ex])
            desc = nf_space.describe(js)
            n_ch = sum(1 for j in js if sig_a[nf[j]] != sig_b[nf[j]])
            result["refusals"].append(OrderedDict([
                ("function", f), ("short", C.SHORT[f]), ("count", len(js)),
                ("of", len(nf)), ("changed", n_ch),
                ("inputs", desc.text()), ("description", desc.as_dict()),
                ("error", b_ex["error"]["message"] if b_ex["error"] else None),
                ("state", state_text(b_ex)),
                ("violations", list(key[1])), ("example", cs[ex].id),
            ]))

        for (sa, sb), idx in changed:
            ex = pick(idx)
            desc = space.describe(idx)
            faults = {cs[i].dims["fault"] for i in idx}
            all_classes.append((_fault_rank(faults), ENTRY_NAMES.index(f), -len(idx),
                                len(all_classes), OrderedDict([
                                    ("function", f), ("short", C.SHORT[f]),
                                    ("count", len(idx)), ("of", len(cs)),
                                    ("inputs", desc.text()),
                                    ("description", desc.as_dict()),
                                    ("faults", ["none", "some", "only"][_fault_rank(faults)]),
                                    ("example", cs[ex].id),
                                    ("from", side(whole(from_version, cs[ex]))),
                                    ("to", side(whole(to_version, cs[ex]))),
                                ])))
    all_classes.sort(key=lambda t: t[:4])
    result["classes"] = [t[4] for t in all_classes]
    return result


def _was_text(sig):
    """What a case did, in short, from its signature: failed (with the error left set,
    digits masked) or succeeded, and the invariants it broke.  The signature's error
    code is None exactly when no error is left set (a set error's code is a name)."""
    if sig[1]:
        text = "failed: %s" % (sig[3] if sig[2] is not None else "(no error)")
    else:
        text = "succeeded"
    if sig[5]:
        text += " [%s]" % ", ".join(sorted(set(sig[5])))
    return text


# --- rendering -------------------------------------------------------------------------


def _side_line(name, s):
    parts = ["%-5s -> %s%s" % (name, s["return"], "  (failed)" if s["failed"] else "")]
    if s["error"]:
        parts.append("error: %s" % s["error"])
    if s["errors_raised"] > 1:
        parts.append("(%d errors raised)" % s["errors_raised"])
    parts.append("state: %s" % s["state"])
    if s["events"]:
        parts.append("events: %s" % ", ".join(s["events"]))
    parts.append("violations: %s" % (", ".join(s["violations"]) or "none"))
    return "; ".join(parts)


def headline_lines(d):
    lines = ["headline (%s -> %s):" % (d["from"], d["to"])]
    for h in d["headline"]:
        if h["unchanged"]:
            lines.append("  %-14s unchanged (%d cases, %d classes)"
                         % (h["short"], h["cases"], h["classes"]))
        else:
            lines.append("  %-14s %d classes changed (%d without faults), %d of %d cases"
                         % (h["short"], h["changed_classes"],
                            h["changed_classes_without_fault"], h["changed_cases"],
                            h["cases"]))
    return lines


def _side_short(s):
    parts = ["%s%s" % (s["return"], " (failed)" if s["failed"] else "")]
    if s["error"]:
        parts.append(s["error"])
    parts.append("state: %s" % s["state"])
    if s["violations"]:
        parts.append("VIOLATES %s" % ", ".join(s["violations"]))
    return "; ".join(parts)


TEXT_WIDTH = 100
_WORD = re.compile(r"\S+\s*")
_PIECE = re.compile(r"[^,/]*[,/]|[^,/]+")


def wrap(line, width=TEXT_WIDTH):
    """A line as lines of at most ``width`` columns, for mail.  Breaks fall between words;
    a word that does not fit on a line of its own (a case id) is cut after a ',' or '/'
    and continues on the next line: join such pieces without a space.  Continuation
    lines are indented eight columns past the line's own indent (five after "now: ",
    "was: " or "e.g. ", so that they line up with the text)."""
    if len(line) <= width:
        return [line]
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    hang = " " * (indent + (5 if body[:5] in ("now: ", "was: ", "e.g. ") else 8))
    room = width - len(hang)
    tokens = []
    for w in _WORD.findall(body):
        tokens += [w] if len(w.rstrip()) <= room else _PIECE.findall(w)
    return _fill(tokens, " " * indent, hang, width)


def _fill(tokens, first, hang, width):
    """Tokens (each with its trailing space) filled greedily into lines of ``width``."""
    out, cur = [], first
    for tok in tokens:
        if len(cur) + len(tok.rstrip()) > width and cur.strip():
            out.append(cur.rstrip())
            cur = hang
        cur += tok
    out.append(cur.rstrip())
    return out


def render_text(d, width=TEXT_WIDTH):
    """The diff for people and mail: every line at most ``width`` columns (see ``wrap``)."""
    return "".join(l + "\n" for line in _text_lines(d) for l in wrap(line, width))


def _text_lines(d):
    lines = ["%d cases, %s -> %s" % (d["cases"], d["from"], d["to"])]
    lines += headline_lines(d)
    if d["changes"]:
        lines.append("")
        lines.append("what changed, by what %s does now:" % d["to"])
        for c in d["changes"]:
            lines.append("  %s, %d cases%s: %s" % (
                c["short"], c["count"], "" if c["faults"] == "none"
                else " (%s under faults)" % ("all" if c["faults"] == "only" else "some"),
                c["inputs"]))
            lines.append("      now: %s" % _side_short(c["to"]))
            lines.append("      was: %s" % "; ".join("%s (%d)" % (w["outcome"], w["count"])
                                                  for w in c["was"][:4])
                         + ("; ..." if len(c["was"]) > 4 else ""))
            lines.append("      e.g. %s" % c["example"])
    if d["refusals"]:
        lines.append("")
        lines.append("every failure of %s without faults (changed or not):" % d["to"])
        for r in d["refusals"]:
            lines.append("  %s, %d of %d fault-free cases (%d changed): %s" % (
                r["short"], r["count"], r["of"], r["changed"], r["inputs"]))
            lines.append("      %s; state: %s; violations: %s" % (
                r["error"], r["state"], ", ".join(r["violations"]) or "none"))
            lines.append("      e.g. %s" % r["example"])
    rank = None
    for n, c in enumerate(d["classes"], 1):
        if c["faults"] != rank:
            rank = c["faults"]
            lines.append("")
            lines.append({"none": "== classes changed without faults ==",
                          "some": "== classes changed with and without faults ==",
                          "only": "== classes changed only under faults =="}[rank])
        lines.append("")
        lines.append("[%d] %s, %d of %d cases: %s" % (n, c["short"], c["count"], c["of"],
                                                    c["inputs"]))
        lines.append("    " + _side_line(d["from"], c["from"]))
        lines.append("    " + _side_line(d["to"], c["to"]))
        lines.append("    e.g. %s" % c["example"])
    return lines


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_side(s):
    parts = [("`%s`" % s["return"]) + (" failed" if s["failed"] else "")]
    if s["error"]:
        parts.append(_md(s["error"]))
    parts.append("state: " + _md(s["state"]))
    if s["events"]:
        parts.append("events: " + ", ".join(s["events"]))
    return "; ".join(parts)


def _md_lines(lines, width=TEXT_WIDTH):
    """Markdown lines wrapped at ``width`` between words (a list item's continuation lines
    indented under its text); an ``e.g.`` line keeps its case id whole in one code span."""
    out = []
    for line in lines:
        body = line.lstrip(" ")
        if len(line) <= width or body.startswith("- e.g. "):
            out.append(line)
            continue
        indent = len(line) - len(body)
        hang = " " * (indent + (2 if body.startswith("- ") else 0))
        out += _fill(_WORD.findall(body), " " * indent, hang, width)
    return out


def render_markdown(d):
    """Per function, lists a reviewer pastes into a review: no HTML, lines of at most 100
    columns but for the lines that hold an example case id."""
    lines = ["**%d cases**, `%s` → `%s`" % (d["cases"], d["from"], d["to"]), ""]
    lines.append("| function | cases | changed classes | without faults | changed cases |")
    lines.append("|---|---:|---:|---:|---:|")
    for h in d["headline"]:
        lines.append("| %s | %d | %d | %d | %d |" % (
            h["short"], h["cases"], h["changed_classes"],
            h["changed_classes_without_fault"], h["changed_cases"]))
    for h in d["headline"]:
        f = h["function"]
        lines += ["", "### %s" % h["short"], ""]
        changes = [c for c in d["changes"] if c["function"] == f]
        if not changes:
            lines.append("Unchanged over %d cases." % h["cases"])
        else:
            lines += ["What changed, by what `%s` does now:" % d["to"], ""]
            for c in changes:
                lines.append("- **%d cases**%s: %s" % (
                    c["count"], "" if c["faults"] == "none" else " (%s under faults)" % (
                        "all" if c["faults"] == "only" else "some"), _md(c["inputs"])))
                lines.append("  - now: %s" % _md_side(c["to"]))
                lines.append("  - violations now: %s" % (", ".join(c["to"]["violations"])
                                                         or "none"))
                lines += ["  - was: %s" % _md("%s (%d)" % (w["outcome"], w["count"]))
                          for w in c["was"][:4]]
                if len(c["was"]) > 4:
                    lines.append("  - was: %d more outcomes" % (len(c["was"]) - 4))
                lines.append("  - e.g. `%s`" % c["example"])
        refusals = [r for r in d["refusals"] if r["function"] == f]
        if refusals:
            lines += ["", "Failures of `%s` without faults:" % d["to"], ""]
            for r in refusals:
                lines.append("- **%d cases** (%d changed): %s" % (r["count"], r["changed"],
                                                                 _md(r["inputs"])))
                lines.append("  - %s; state: %s; violations: %s" % (
                    _md(r["error"]), _md(r["state"]), ", ".join(r["violations"]) or "none"))
                lines.append("  - e.g. `%s`" % r["example"])
    return "\n".join(_md_lines(lines)) + "\n"
