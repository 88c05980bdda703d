"""Normalisation of text for search: lower case, Polish letters folded to ASCII."""

from __future__ import annotations

import re

_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻáčďéěíňřšťúůýž", "acelnoszzacelnoszzacdeeinrstuuyz")
_SPACES = re.compile(r"\s+")


def search_fold(value: str) -> str:
    return _SPACES.sub(" ", (value or "").lower().translate(_FOLD)).strip()
