"""The C side: libvirt's own functions, extracted at run time and compiled against
this project's stubs, callable exactly as the Python port is.

Nothing of libvirt is stored here: ``extract`` reads the functions out of the
user's libvirt checkout or git directory (``LIBVIRT_SRC``) when asked.

  extract.extract_version(version, src, worktree=False) -> Extracted
  build.build_version(version, src, worktree=False) -> Built   (cached by sha256)
  build.build(BuildSpec) / build.text_spec(name, text, path)   (any C text of one's own)
  impl.load(version, src=None) -> CImpl   (src defaults to $LIBVIRT_SRC)
  impl.CImpl(version, src=None, worktree=False, built=None, pymodule=None)
  compare.compare_impls(py_module, c_impl, make_world, call) -> Comparison

Errors are one line: ``extract.ExtractError`` and ``build.BuildError``.
"""
