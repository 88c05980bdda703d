"""Polish and English ship complete: every message has a translation and the compiled files match."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "kilowatt" / "locale"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_catalogue_is_complete_and_compiled(language):
    po_path = LOCALE / language / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    assert len(po) > 100, "the catalogue should hold the project's messages"
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    if language == "pl":
        assert untranslated == [], f"{len(untranslated)} Polish messages lack a translation"
    assert fuzzy == [], f"fuzzy (unchecked) translations: {fuzzy[:5]}"
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}
    for entry in po.translated_entries():
        expected = entry.msgstr or entry.msgstr_plural
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, f"recompile messages: {entry.msgid!r}"


def test_polish_translations_keep_their_placeholders():
    po = polib.pofile(str(LOCALE / "pl" / "LC_MESSAGES" / "django.po"))
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
    for entry in po.translated_entries():
        if entry.msgstr:
            assert sorted(placeholder.findall(entry.msgid)) == sorted(placeholder.findall(entry.msgstr)), (
                entry.msgid
            )


def test_messages_are_served_in_polish_by_default_and_in_english_on_request():
    from django.conf import settings as django_settings
    from django.test import override_settings
    from django.utils import translation

    import kilowatt.settings as configured
    from kilowatt.core.identifiers import InvalidIdentifier, nip_validate

    assert configured.LANGUAGE_CODE == "pl" and configured.TIME_ZONE == "Europe/Warsaw"
    assert django_settings.LANGUAGE_CODE == "en"  # set by the english_messages fixture
    polish = pytest.raises(InvalidIdentifier, match="błędną cyfrę kontrolną")
    with override_settings(LANGUAGE_CODE="pl"), translation.override("pl"), polish:
        nip_validate("5260250275")
    with translation.override("en"), pytest.raises(InvalidIdentifier, match="wrong check digit"):
        nip_validate("5260250275")
