"""Pull upstream function definitions, verbatim, out of a libvirt source tree.

Nothing of libvirt is stored in this repository: the text is read at run time
from the user's checkout (a work tree, or a bare git directory such as a
mirror) at the commit a version names, parsed with tree-sitter (no
preprocessor), and handed to ``build.py``.

``fixed`` is post's ``qemu_migration.c`` with the backport applied: the diff of
bebe5122 when the source has that commit, else the first hunk of 837993d845a3
applied inside ``qemuMigrationPerformJob`` by matching its context lines, so
the hunk's parts that refer to code post does not have yet are left out.
"""
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..port import MIGRATION_C, PORTED, VERSIONS

PRE = VERSIONS["pre"].commit
POST = VERSIONS["post"].commit
FIX_BACKPORT = "bebe5122"
FIX_UPSTREAM = "837993d845a3"

# file -> the functions taken from it, in the order they are emitted
FUNCTIONS: Dict[str, List[str]] = PORTED

VERSION_COMMITS = {"pre": PRE, "post": POST, "fixed": POST}


class ExtractError(RuntimeError):
    """A one-line reason why upstream text could not be had."""


@dataclass
class CFunction:
    name: str
    text: str            # the definition, verbatim
    declaration: str     # everything before the body, e.g. "static int\nf(int a)"
    params: List[str]    # each parameter declaration, whitespace-normalised
    is_static: bool
    path: str = ""
    line: int = 0        # 1-based line of the definition in its file


@dataclass
class Extracted:
    version: str
    commit: str
    functions: List[CFunction] = field(default_factory=list)
    patched_with: Optional[str] = None

    def by_name(self):
        return {f.name: f for f in self.functions}

    def text(self):
        return "\n\n".join(f.text for f in self.functions)


# --- tree-sitter ----------------------------------------------------------------

_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        try:
            import tree_sitter_c
            from tree_sitter import Language, Parser
        except ImportError as e:  # pragma: no cover - depends on the machine
            raise ExtractError("qemu-migration: tree-sitter is not installed "
                               "(pip install tree-sitter tree-sitter-c): %s" % e)
        _PARSER = Parser(Language(tree_sitter_c.language()))
    return _PARSER


def _norm(s):
    return re.sub(r"\s+", " ", s).strip()


def _declarator_name(node):
    """The identifier a function_definition defines (through pointer declarators)."""
    d = node.child_by_field_name("declarator")
    while d is not None:
        if d.type == "function_declarator":
            inner = d.child_by_field_name("declarator")
            while inner is not None and inner.type not in ("identifier",):
                nxt = inner.child_by_field_name("declarator")
                if nxt is None:
                    break
                inner = nxt
            if inner is not None and inner.type == "identifier":
                return inner.text.decode(), d
            return None, None
        d = d.child_by_field_name("declarator")
    return None, None


_ATTR_RE = re.compile(rb"\bATTRIBUTE_[A-Z_]+(\s*\([^()]*\))?")


def _walk_definitions(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "function_definition":
            yield n
            continue
        stack.extend(reversed(n.children))


def parse_functions(text: str, path: str = "") -> Dict[str, CFunction]:
    """Every function definition of a C text, by name (the first one wins)."""
    raw = text.encode()
    # attribute macros (ATTRIBUTE_NONNULL(1) between the type and the name) confuse a
    # parser that sees no macros: blank them for parsing, keep them in the text taken
    masked = _ATTR_RE.sub(lambda m: b" " * len(m.group(0)), raw)
    tree = _parser().parse(masked)
    found: Dict[str, CFunction] = {}
    for node in _walk_definitions(tree.root_node):
        name, fdecl = _declarator_name(node)
        if not name or name in found:
            continue
        body = node.child_by_field_name("body")
        if body is None:
            continue
        decl = raw[node.start_byte:body.start_byte].decode().rstrip()
        params = []
        plist = fdecl.child_by_field_name("parameters")
        if plist is not None:
            for p in plist.named_children:
                if p.type in ("parameter_declaration", "variadic_parameter"):
                    params.append(_norm(p.text.decode()))
        is_static = any(c.type == "storage_class_specifier" and c.text == b"static"
                        for c in node.children)
        found[name] = CFunction(name, raw[node.start_byte:node.end_byte].decode(), decl,
                                params, is_static, path, node.start_point[0] + 1)
    return found


def extract_functions(text: str, names, path: str = "", commit: str = "") -> List[CFunction]:
    """The named definitions of a C text, in the order asked; a missing one is an error."""
    found = parse_functions(text, path)
    out = []
    for n in names:
        if n not in found:
            raise ExtractError("qemu-migration: function %s not found in %s at %s"
                               % (n, path or "<text>", commit or "<text>"))
        out.append(found[n])
    return out


# --- reading the source -----------------------------------------------------------


def git_dir(src: str) -> str:
    """The git directory of a checkout, or the directory itself when it is bare."""
    if os.path.isdir(os.path.join(src, ".git")):
        return os.path.join(src, ".git")
    if os.path.isfile(os.path.join(src, ".git")):  # a worktree's gitfile
        return os.path.join(src, ".git")
    if os.path.isfile(os.path.join(src, "HEAD")) and os.path.isdir(os.path.join(src, "objects")):
        return src
    raise ExtractError("qemu-migration: %s is neither a libvirt checkout nor a git directory"
                       % src)


def _git(src, *args) -> Tuple[int, str, str]:
    gd = git_dir(src)
    try:
        p = subprocess.run(["git", "--git-dir=" + gd] + list(args), capture_output=True)
    except FileNotFoundError:
        raise ExtractError("qemu-migration: git is not installed")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def has_commit(src, commit) -> bool:
    rc, _, _ = _git(src, "cat-file", "-e", commit + "^{commit}")
    return rc == 0


def read_source(src: str, commit: str, path: str, worktree: bool = False) -> str:
    if worktree:
        full = os.path.join(src, path)
        try:
            with open(full, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError as e:
            raise ExtractError("qemu-migration: cannot read %s: %s" % (full, e.strerror))
    rc, out, err = _git(src, "show", "%s:%s" % (commit, path))
    if rc != 0:
        first = (err.strip().splitlines() or ["git show failed"])[0]
        raise ExtractError("qemu-migration: cannot read %s at %s: %s" % (path, commit, first))
    return out


# --- the backport -------------------------------------------------------------------


def _hunks(diff_text: str, path: str):
    """The hunks of ``path`` in a git diff: lists of (prefix, line)."""
    hunks, cur, in_file = [], None, False
    for line in diff_text.splitlines():
        if line.startswith("diff --git "):
            in_file = line.endswith(" b/" + path)
            cur = None
            continue
        if not in_file:
            continue
        if line.startswith("@@"):
            cur = []
            hunks.append(cur)
            continue
        if cur is None or line.startswith(("---", "+++")) and not cur:
            continue
        if line[:1] in (" ", "-", "+"):
            cur.append((line[0], line[1:]))
        elif line == "":
            cur.append((" ", ""))
    return hunks


def apply_hunk_in_function(func_text: str, hunk, fname="qemuMigrationPerformJob"):
    """Apply each change of a hunk whose removed lines and nearest context line before
    them are found, in that order, in the function; changes whose lines are not there
    (code the function does not have) are left out.  Returns (text, changes applied).
    """
    lines = func_text.split("\n")
    applied = 0
    i = 0
    while i < len(hunk):
        if hunk[i][0] == " ":
            i += 1
            continue
        # a change: a run of -/+ lines, with the context line just before it as anchor
        j = i
        while j < len(hunk) and hunk[j][0] != " ":
            j += 1
        minus = [l for p, l in hunk[i:j] if p == "-"]
        plus = [l for p, l in hunk[i:j] if p == "+"]
        anchor = None
        k = i - 1
        while k >= 0 and hunk[k][0] == " ":
            if hunk[k][1].strip():
                anchor = hunk[k][1]
                break
            k -= 1
        blank_between = i - 1 - k if anchor is not None else 0
        for at in range(len(lines)):
            if anchor is not None:
                if lines[at].rstrip() != anchor.rstrip():
                    continue
                start = at + 1 + blank_between
            else:
                start = at
            if lines[start:start + len(minus)] == minus or \
               [l.rstrip() for l in lines[start:start + len(minus)]] == [m.rstrip() for m in minus]:
                lines[start:start + len(minus)] = plus
                applied += 1
                break
        i = j
    return "\n".join(lines), applied


def _apply_fix(src: str, post_text: str) -> Tuple[str, str]:
    """post's qemu_migration.c with the backport's change to PerformJob applied."""
    if has_commit(src, FIX_BACKPORT):
        commit = FIX_BACKPORT
    elif has_commit(src, FIX_UPSTREAM):
        commit = FIX_UPSTREAM
    else:
        raise ExtractError("qemu-migration: neither %s nor %s is in %s; cannot build 'fixed'"
                           % (FIX_BACKPORT, FIX_UPSTREAM, src))
    rc, diff, err = _git(src, "show", "--format=", commit, "--", MIGRATION_C)
    hunks = _hunks(diff, MIGRATION_C) if rc == 0 else []
    if not hunks:
        raise ExtractError("qemu-migration: %s has no change to %s" % (commit, MIGRATION_C))
    funcs = parse_functions(post_text, MIGRATION_C)
    target = funcs.get("qemuMigrationPerformJob")
    if target is None:
        raise ExtractError("qemu-migration: function qemuMigrationPerformJob not found in %s at %s"
                           % (MIGRATION_C, POST))
    use = hunks if commit == FIX_BACKPORT else hunks[:1]
    new_text, applied = target.text, 0
    for h in use:
        new_text, n = apply_hunk_in_function(new_text, h)
        applied += n
    if not applied:
        raise ExtractError("qemu-migration: the first hunk of %s does not apply to "
                           "qemuMigrationPerformJob at %s" % (commit, POST))
    return post_text.replace(target.text, new_text, 1), commit


def extract_version(version: str, src: str, worktree: bool = False,
                    commits: Optional[Dict[str, str]] = None) -> Extracted:
    """The functions of one version (pre, post, fixed) from a libvirt source."""
    commits = commits or VERSION_COMMITS
    if version not in commits:
        raise ExtractError("qemu-migration: unknown version %r" % version)
    commit = commits[version]
    ex = Extracted(version, commit)
    for path, names in FUNCTIONS.items():
        text = read_source(src, commit, path, worktree)
        if version == "fixed" and path == MIGRATION_C:
            text, ex.patched_with = _apply_fix(src, text)
        ex.functions.extend(extract_functions(text, names, path, commit))
    return ex
