"""The one error the loader raises for bad input."""


class LoadError(Exception):
    """A file that cannot be loaded: which file, which element, what is wrong.

    ``str()`` is one line, ``<file>: <element>: <problem>``, where ``element`` is
    an XPath-like location such as ``/domain/devices/hostdev[2]/@type`` (or
    ``line 12, column 4`` for XML that does not parse).
    """

    def __init__(self, path, element, problem):
        self.path = str(path)
        self.element = str(element)
        self.problem = " ".join(str(problem).split())
        super().__init__(self.path, self.element, self.problem)

    def __str__(self):
        return "%s: %s: %s" % (self.path, self.element, self.problem)
