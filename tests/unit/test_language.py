"""Language identification on the prefix the cleaner classifies."""

from __future__ import annotations

import pytest

from stream.core.clean.language import SAMPLE_CHARS, detect_language

SAMPLES = {
    "en": "The visitors took the lead early in the second half when their captain curled a "
          "free kick over the wall, and the home side never looked like finding a way back "
          "into the game despite a late flurry of corners in front of a nervous crowd.",
    "es": "Los visitantes se adelantaron al comienzo de la segunda parte cuando su capitán "
          "colocó un libre directo por encima de la barrera, y el equipo local nunca "
          "encontró la forma de volver al partido pese a varios saques de esquina.",
    "de": "Die Gäste gingen kurz nach der Pause in Führung, als ihr Kapitän einen Freistoß "
          "über die Mauer ins Tor zirkelte, und die Gastgeber fanden trotz einiger später "
          "Eckbälle keinen Weg mehr zurück in das Spiel vor nervösem Publikum.",
    "fr": "Les visiteurs ont ouvert le score au début de la seconde période lorsque leur "
          "capitaine a enroulé un coup franc au-dessus du mur, et l'équipe locale n'a jamais "
          "trouvé la solution malgré plusieurs corners en fin de match.",
    "it": "Gli ospiti sono passati in vantaggio all'inizio del secondo tempo quando il loro "
          "capitano ha calciato una punizione sopra la barriera, e la squadra di casa non è "
          "mai riuscita a rientrare in partita nonostante alcuni calci d'angolo.",
    "pt": "Os visitantes marcaram no início do segundo tempo quando o capitão acertou uma "
          "cobrança de falta por cima da barreira, e a equipe da casa nunca encontrou o "
          "caminho de volta ao jogo apesar de vários escanteios no final.",
}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_the_prefix_names_the_language(code: str) -> None:
    assert detect_language(SAMPLES[code]) == code
    lead = SAMPLES[code] + " " + SAMPLES[code]
    assert len(lead) > SAMPLE_CHARS
    # Only the prefix is classified: a long English tail does not change the answer.
    assert detect_language(lead + "\n\n" + SAMPLES["en"] * 10) == code


def test_too_little_text_has_no_language() -> None:
    assert detect_language("  2-1  ") is None


def test_withdrawn_codes_are_given_as_today() -> None:
    # CLD2 still says "iw" for Hebrew.
    hebrew = "המאמן אמר אחרי המשחק שהקבוצה שיחקה טוב מאוד והייתה ראויה לנצח הערב באצטדיון"
    assert detect_language(hebrew) == "he"


def test_text_the_compiled_detector_cannot_read_still_gets_an_answer() -> None:
    # A lone surrogate cannot be encoded for CLD2: the pure-Python model decides.
    broken = SAMPLES["en"][:120] + "\ud800" + SAMPLES["en"][120:]
    assert detect_language(broken) == "en"
