"""diff --format text|markdown|json: text fits 100 columns for mail, markdown has no HTML and
no overlong prose lines, --json and --markdown stay aliases."""
import io
import json
import re

import pytest

from qemu_migration import cli
from qemu_migration.analysis import diff as D
from qemu_migration.analysis.cases import enumerate_cases
from conftest import cli_out as _main




@pytest.fixture(scope="module", params=[("pre", "post"), ("post", "fixed")])
def full(request):
    a, b = request.param
    return D.diff(a, b)


def test_every_text_line_fits_100_columns(full):
    text = D.render_text(full)
    lines = text.splitlines()
    assert max(len(l) for l in lines) <= 100
    # the long lines were there to wrap: the unwrapped form has lines past 100 columns
    assert max(len(l) for l in D._text_lines(full)) > 100


def test_wrapping_loses_nothing_and_cuts_words_only_after_comma_or_slash(full):
    for line in D._text_lines(full):
        out = D.wrap(line)
        assert all(len(l) <= 100 for l in out)
        assert re.sub(r"\s+", "", "".join(out)) == re.sub(r"\s+", "", line)
        joined = out[0]
        for prev, nxt in zip(out, out[1:]):
            cut_in_word = not line[len(joined.rstrip()):].startswith(" ")
            if cut_in_word:
                assert prev[-1] in ",/", (prev, nxt)
            joined += (" " if not cut_in_word else "") + nxt.strip()
        assert re.sub(r"\s+", " ", joined.strip()) == re.sub(r"\s+", " ", line.strip())


def test_wrap_hangs_under_the_label():
    line = "      now: " + " ".join(["word"] * 40)
    out = D.wrap(line)
    assert out[0].startswith("      now: word") and all(l.startswith(" " * 11 + "word")
                                                        for l in out[1:])
    out = D.wrap("  PerformJob, 5 cases: " + ", ".join("dim%d=x" % i for i in range(30)))
    assert all(l.startswith(" " * 10) and not l.startswith(" " * 11) for l in out[1:])
    idl = "    e.g. PerformJob/" + ",".join("dimension%d=value" % i for i in range(12)) + "/fault=none"
    out = D.wrap(idl)
    assert len(out) > 1 and all(l.endswith(",") or l.endswith("/") for l in out[:-1])
    assert "".join(l.strip() for l in out) == idl.strip()
    assert D.wrap("short") == ["short"]


def test_markdown_has_no_html_and_short_prose(full):
    md = D.render_markdown(full)
    assert "<br>" not in md and "<" not in md.replace("<xml>", "")
    for line in md.splitlines():
        assert len(line) <= 100 or re.fullmatch(r"  - e\.g\. `[^`]+`", line), line
    for c in full["changes"]:
        assert "  - e.g. `%s`" % c["example"] in md
    for r in full["refusals"]:
        assert "  - e.g. `%s`" % r["example"] in md


def test_formats_and_aliases(monkeypatch):
    # the formats and their aliases render one diff: computed once (D.diff, about 0.5 s),
    # each command line still parsed and rendered on its own
    computed = {}
    diff = D.diff
    def once(*a):
        key = repr(a)
        if key not in computed:
            computed[key] = diff(*a)
        return computed[key]
    monkeypatch.setattr(D, "diff", once)
    argv = ["diff", "--from", "post", "--to", "fixed", "--function", "PerformJob"]
    rc, text = _main(argv)
    assert rc == 0 and _main(argv + ["--format", "text"]) == (0, text)
    rc, md = _main(argv + ["--format", "markdown"])
    n = len(enumerate_cases(["PerformJob"]))
    assert rc == 0 and md.startswith("**%d cases**" % n) and _main(argv + ["--markdown"]) == (0, md)
    rc, js = _main(argv + ["--format", "json"])
    assert rc == 0 and _main(argv + ["--json"]) == (0, js)
    assert json.loads(js)["to"] == "fixed"
    assert len(computed) == 1


def test_format_and_alias_conflict_is_a_usage_error(capsys):
    rc = cli.main(["diff", "--format", "markdown", "--json"], out=io.StringIO())
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "not allowed with argument --format" in err


def test_markdown_counts_the_outcomes_it_leaves_out():
    import copy
    d = copy.deepcopy(D.diff("pre", "post", ["IsAllowed"]))
    c = d["changes"][0]
    c["was"] = [{"outcome": "failed: reason %d" % i, "count": 1} for i in range(6)]
    d["refusals"] = []
    md = D.render_markdown(d)
    assert "  - was: failed: reason 3 (1)\n  - was: 2 more outcomes\n" in md
    assert "Failures of" not in md
    c["to"]["error"], c["to"]["events"] = None, ["started(guest)"]
    assert "  - now: `False` failed; state: unchanged; events: started(guest)\n" in (
        D.render_markdown(d))
    d["changes"] = []
    text = D.render_text(d)
    assert "what changed" not in text and "every failure" not in text


PREPARE_OK = ("PrepareDirect/hostdevs=none,dname=none,cookiein=none,dest=nothing,uri_in=NULL,"
              "hostname=fqdn/fault=none")


def _outcome(cid, version="post"):
    from qemu_migration.analysis import caseid
    from qemu_migration.analysis import cases as C
    return C.outcomes(version, [caseid.parse(cid)])[0]


def test_state_text_of_a_domain_the_call_made():
    # nothing before: every field is shown as it is, the list membership by name
    o = _outcome(PREPARE_OK)
    assert D.state_text(o) == ("job=none async=migration in phase=prepare refs=1 unlocked "
                               "listed id=2 state=paused")


def test_a_change_to_success_shows_no_error():
    """A side without an error (a call that succeeds) reads return; state; violations."""
    now = D.side(_outcome(PREPARE_OK))
    assert now["error"] is None
    assert D._side_short(now) == "0; state: %s" % now["state"]
