"""The one service the world takes from above it: reading domain XML text.

virDomainDefParseString (a stub) and the engine (finding the domain a prepare
defines) turn domain XML handed over as text into a ``DomainDef``.  The parser
lives in the loader, which sits above the world; rather than import it, the
world owns this slot and the loader fills it when it is imported
(``set_domain_parser``).  The parser takes (text, source name) and returns a
DomainDef, or raises ``DomainXMLError`` for text that is not a domain.
"""


class DomainXMLError(ValueError):
    """The text handed to the parser is not a domain definition."""


_PARSER = []


def set_domain_parser(parser):
    """Install the parser (the loader does, at import); the last one installed is used."""
    _PARSER[:] = [parser]


def parse_domain_xml(text, source):
    if not _PARSER:
        raise RuntimeError("qemu-migration: no domain XML parser is installed in the world "
                           "(import qemu_migration.loader, which installs it)")
    return _PARSER[0](text, source)
