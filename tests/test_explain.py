"""explain: the lines each version ran, side by side, and where they part."""
import json
import os
import sys

import pytest

from qemu_migration.analysis import caseid
from qemu_migration.analysis import explain as X
from qemu_migration.world.runtime import TraceEntry
from conftest import make_world
from conftest import cli_run as run

LEAK = ("PerformJob/autodestroy=no,snapshots=1,hostdevs=none,state=running,persistent=yes,"
        "job=none,flags=0,v3proto=no/fault=none")
SCEN = os.path.join(os.path.dirname(__file__), "..", "fixtures", "scenarios")




def test_leak_case_parts_at_L2219_cleanup_versus_endjob():
    e = X.explain(caseid.CaseScenario(caseid.parse(LEAK)), "post", "fixed")
    kind, a, b = e["rows"][e["divergence"]]
    assert kind == "changed" and a.ann == b.ann == "L-/2219"
    assert a.code == 'goto("cleanup")' and b.code == 'goto("endjob")'
    assert a.function == "qemuMigrationPerformJob"
    assert all(r[0] == "equal" for r in e["rows"][:e["divergence"]])
    # fixed goes on through endjob and ends the job; post does not
    assert not any(r[1] is not None and r[1].function == "qemuMigrationJobFinish"
                   for r in e["rows"])
    assert any(r[0] == "only-b" and r[2].function == "qemuMigrationJobFinish"
               for r in e["rows"])
    assert not e["same_outcome"]
    assert X.divergence_text(e) == ('the versions part in qemuMigrationPerformJob at L-/2219: '
                                    'post L-/2219 goto("cleanup") | fixed L-/2219 goto("endjob")')


def test_explain_cli_text_json_and_no_tracer_left():
    rc, out, err = run("explain", LEAK, "--from", "post", "--to", "fixed")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    div = [l for l in lines if l.startswith(">>")]
    assert len(div) == 1 and 'goto("cleanup")' in div[0] and 'goto("endjob")' in div[0]
    assert "outcomes differ" in out and "VIOLATION async-job-leaked" in out
    assert sys.gettrace() is None or "coverage" in type(sys.gettrace()).__module__
    rc, out, _ = run("explain", LEAK, "--from", "post", "--to", "fixed", "--json")
    data = json.loads(out)
    assert data["schema"] == 1 and data["divergence"].startswith("the versions part")
    assert data["rows"][data["divergence_row"]]["to"]["code"] == 'goto("endjob")'


def test_explain_same_lines_and_a_scenario():
    e = X.explain(caseid.CaseScenario(caseid.parse(
        "IsAllowed/arg=def,hostdevs=none/fault=none")), "post", "fixed")
    assert e["divergence"] is None and e["same_outcome"]
    assert X.divergence_text(e) == "the versions execute the same ported lines"
    rc, out, _ = run("explain", os.path.join(SCEN, "perform-p2p-snapshots-twice.xml"))
    assert rc == 0 and "call 2 on post:" in out
    # pre never calls IsAllowed in PerformJob: post's call is where they part
    assert "qemuMigrationIsAllowed(driver, vm, NULL)" in [
        l for l in out.splitlines() if l.startswith(">>")][0]


def test_explain_with_c_text_beside_each_line(tmp_path):
    def c_line(version, function, n):
        return "/* %s %s:%d */" % (version, function, n)
    e = X.explain(caseid.CaseScenario(caseid.parse(LEAK)), "post", "fixed")
    text = X.render_text(e, width=240, c_line=c_line)
    assert "/* post qemuMigrationPerformJob:2219 */" in text
    page = X.render_html(e, c_line)
    assert "fixed qemuMigrationPerformJob:2219" in page


@pytest.mark.parametrize("argv,fragment", [
    (["explain", "PerformJob/x=1/fault=none"], "has no dimension 'x'"),
    (["explain", SCEN], "explain takes one case id or one scenario file"),
    (["explain", LEAK, "--to", "later"], "unknown version 'later'"),
    (["explain", LEAK, "--libvirt-src", "/nonexistent"], "neither a libvirt checkout"),
    (["explain", LEAK, "--html", "/nonexistent/x.html"], "cannot write"),
])
def test_explain_errors_one_line(argv, fragment):
    rc, out, err = run(*argv)
    assert rc == 2 and fragment in err and err.count("\n") == 1


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def test_html_page_in_a_headless_browser(tmp_path, monkeypatch):
    """The page opens in Debian's chromium (never a downloaded browser): the divergence
    row is there, highlighted, with C and Python text, and the page loads nothing else."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (.ci/run installs them)")
    monkeypatch.setenv("SE_OFFLINE", "true")   # selenium-manager must not download
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By
    page = tmp_path / "leak.html"

    def c_line(version, function, n):
        return "C(%s:%d)" % (version, n)
    e = X.explain(caseid.CaseScenario(caseid.parse(LEAK)), "post", "fixed")
    page.write_text(X.render_html(e, c_line))
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(a)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    drv = webdriver.Chrome(options=opts, service=service)
    try:
        drv.get(page.as_uri())
        row = drv.find_element(By.ID, "diverge")
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert cells == ["L-/2219", "C(post:2219)", 'goto("cleanup")',
                         "L-/2219", "C(fixed:2219)", 'goto("endjob")']
        red = drv.execute_script(
            "return getComputedStyle(arguments[0].cells[2]).backgroundColor", row)
        plain = drv.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert red == "rgb(255, 179, 179)" and red != plain
        executed = drv.find_elements(By.CSS_SELECTOR, "tr.executed")
        assert len(executed) == e["divergence"] + sum(
            1 for r in e["rows"][e["divergence"]:] if r[0] == "equal")
        assert drv.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        assert "post L-/2219" in drv.find_element(By.ID, "divergence").text
    finally:
        drv.quit()


# --- the line recorder, called directly: as sys.settrace's tracer it is traced by no one ---


class _Frame:
    """What the recorder reads of a frame."""

    def __init__(self, filename, name, lineno=0, label=None):
        self.f_code = type("Code", (), {"co_filename": filename, "co_name": name})()
        self.f_lineno = lineno
        self.f_locals = {"label": label}


POST_PY = os.path.join(X.PORT_DIR, "post.py")


def _line_of(path, text):
    with open(path, encoding="utf-8") as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_recorder_follows_only_the_ported_functions():
    rec = X.LineRecorder()
    assert rec.tracer(_Frame(POST_PY, "qemuMigrationPerformJob"), "call", None) == rec.local
    assert rec.depth == 1
    for frame in (_Frame(X.REGISTRY_FILE, "_invoke_perform"), _Frame(POST_PY, "<module>"),
                  _Frame(os.path.abspath(__file__), "helper")):
        assert rec.tracer(frame, "call", None) is None
    assert rec.tracer(_Frame(POST_PY, "qemuMigrationPerformJob"), "return", None) is None
    assert rec.depth == 1 and rec.steps == []


def test_recorder_keeps_annotated_lines_and_the_label_taken(monkeypatch):
    monkeypatch.setattr(X, "_SOURCES", {})      # the port's file is read on first use
    rec = X.LineRecorder()
    rec.tracer(_Frame(POST_PY, "qemuMigrationPerformJob"), "call", None)
    goto = _line_of(POST_PY, 'goto("cleanup")                                     # L-/2219')
    endjob = _line_of(POST_PY, 'case "endjob":                                              '
                      '# L2231/2249')
    world = make_world()
    with world.activate():
        assert rec.local(_Frame(POST_PY, "qemuMigrationPerformJob", goto), "line",
                         None) == rec.local
        world.trace.append(TraceEntry("qemuMigrationJobFinish", 1))   # a callee ran since
        # the case line of a label tried but not taken is not kept; the one taken is
        rec.local(_Frame(POST_PY, "qemuMigrationPerformJob", endjob, "cleanup"), "line", None)
        rec.local(_Frame(POST_PY, "qemuMigrationPerformJob", endjob, "endjob"), "line", None)
        # an unannotated line (the file's first) is no step
        rec.local(_Frame(POST_PY, "qemuMigrationPerformJob", 1), "line", None)
    assert [(s.function, s.ann, s.code, s.depth, s.at) for s in rec.steps] == [
        ("qemuMigrationPerformJob", "L-/2219", 'goto("cleanup")', 1, 0),
        ("qemuMigrationPerformJob", "L2231/2249", 'case "endjob":', 1, 1)]
    assert list(X._SOURCES) == [POST_PY]
    # an exception passing through records nothing and leaves the depth
    assert rec.local(_Frame(POST_PY, "qemuMigrationPerformJob", goto), "exception",
                     None) == rec.local
    assert len(rec.steps) == 2 and rec.depth == 1
    assert rec.local(_Frame(POST_PY, "qemuMigrationPerformJob"), "return", None) == rec.local
    assert rec.depth == 0


def test_explain_against_compiled_c_has_no_line_trace(tmp_path):
    """A c: version runs without a line trace: the outcomes and traces are shown, and
    the C tree behaves as post on the leak."""
    rc, out, err = run("explain", LEAK, "--from", "post", "--to", "c:tests/c_candidate")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[:2] == ["explain %s: post -> c:tests/c_candidate" % LEAK,
                         "no line trace for a compiled C version; compare the traces below"]
    # no table of lines (its header is "  post ... | c:tests/c_candidate")
    assert not any(l.startswith(">>") or l.endswith("| c:tests/c_candidate") for l in lines)
    assert "call 1 on c:tests/c_candidate:" in lines and lines[-1] == "outcomes are the same"
    page = tmp_path / "c.html"
    rc, out, err = run("explain", LEAK, "--from", "post", "--to", "c:tests/c_candidate",
                       "--html", str(page))
    assert rc == 0 and err == ""
    html = page.read_text()
    assert "no line trace for a compiled C version" in html and "<table" not in html
    assert html.count("<pre class='outcome'>") == 2
