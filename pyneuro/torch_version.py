"""torch.torch_version.TorchVersion: `torch.__version__`, a str that compares as a version.

Scripts gate features on it: `if torch.__version__ >= (1, 6):`, `torch.__version__ < "2.0"`.
A plain str compares strings ("0.10" < "0.9") and raises TypeError against a tuple; this one
compares the PEP 440 release numbers and pre-release tags, a tuple read as its numbers joined
by dots. What it cannot read as a version it compares as a str, as torch's does (so an int or
None raises torch's TypeError). Only ==, <, <=, >, >= are version comparisons (torch leaves !=
and the hash to str).
"""

from __future__ import annotations

import re

__all__ = ["TorchVersion"]

_VERSION = re.compile(
    r"^\s*v?(?:\d+!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?"
    r"(?:[-_.]?(?:post|rev|r)[-_.]?(?P<post>\d*))?"
    r"(?:[-_.]?dev[-_.]?(?P<dev>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$",
    re.IGNORECASE,
)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_INF = float("inf")


def _key(text: str):
    """The sort key of a version string (release, pre, post, dev, local), or None if it is not one."""
    m = _VERSION.match(text)
    if m is None:
        return None
    release = [int(p) for p in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    dev = _INF if m["dev"] is None else int(m["dev"] or 0)
    if m["pre"] is not None:
        pre = (_PRE[m["pre"].lower()], int(m["pre_n"] or 0))
    elif m["post"] is None and m["dev"] is not None:
        pre = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
    else:
        pre = (_INF, 0)
    post = -1 if m["post"] is None else int(m["post"] or 0)
    local = (0,)  # no local label sorts first; numbers sort after words ("2.13.0" < "2.13.0+cpu")
    if m["local"] is not None:
        parts = re.split(r"[-_.]", m["local"].lower())
        local = (1, tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in parts))
    return (tuple(release), pre, post, dev, local)


def _other_key(other):
    if isinstance(other, str):
        return _key(other)
    if isinstance(other, (tuple, list)):
        return _key(".".join(str(item) for item in other))
    return None


def _comparison(name: str):
    compare = getattr(tuple, name)
    fallback = getattr(str, name)

    def method(self, other):
        mine, theirs = _key(self), _other_key(other)
        if mine is None or theirs is None:
            return fallback(self, other)
        return compare(_padded(mine, theirs), _padded(theirs, mine))

    method.__name__ = name
    return method


def _padded(key, against):
    """Release numbers padded with zeros to the other's length (1.0 == 1.0.0)."""
    release = key[0] + (0,) * max(0, len(against[0]) - len(key[0]))
    return (release, *key[1:])


class TorchVersion(str):
    """A version string that compares as a version (torch.__version__)."""

    __module__ = "pyneuro.torch_version"
    __hash__ = str.__hash__
    __eq__ = _comparison("__eq__")
    __lt__ = _comparison("__lt__")
    __le__ = _comparison("__le__")
    __gt__ = _comparison("__gt__")
    __ge__ = _comparison("__ge__")
