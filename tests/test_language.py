"""Language detection: langdetect's model on a bounded sample, scripts, determinism."""

from __future__ import annotations

import pytest

from flows import language
from flows.model import Block, Document

SAMPLES = {
    "en": "The meeting between the two ministers lasted four hours and ended without any "
          "agreement, officials said on Tuesday evening after the talks.",
    "de": "Das Treffen der beiden Minister dauerte vier Stunden und endete ohne eine "
          "Einigung, sagten Beamte am Dienstagabend nach den Gesprächen.",
    "fr": "La rencontre entre les deux ministres a duré quatre heures et s'est terminée "
          "sans accord, ont indiqué des responsables mardi soir après les discussions.",
    "es": "La reunión entre los dos ministros duró cuatro horas y terminó sin ningún "
          "acuerdo, dijeron los funcionarios el martes por la noche tras las conversaciones.",
    "it": "L'incontro tra i due ministri è durato quattro ore e si è concluso senza alcun "
          "accordo, hanno detto i funzionari martedì sera dopo i colloqui.",
    "pt": "A reunião entre os dois ministros durou quatro horas e terminou sem nenhum "
          "acordo, disseram as autoridades na noite de terça-feira após as conversas.",
    "nl": "De ontmoeting tussen de twee ministers duurde vier uur en eindigde zonder enig "
          "akkoord, zeiden functionarissen dinsdagavond na de gesprekken.",
    "ru": "Встреча двух министров продолжалась четыре часа и завершилась без какого-либо "
          "соглашения, сообщили официальные лица во вторник вечером после переговоров.",
    "zh": "两国外长的会谈持续了四个小时，没有达成任何协议。官员们在周二晚上的会谈后表示，"
          "双方将继续保持沟通。",
    "ja": "二人の大臣の会談は四時間続いたが、合意には至らなかったと、当局者が火曜日の夜に述べた。",
    "ko": "두 장관의 회담은 네 시간 동안 계속되었지만 합의 없이 끝났다고 "
          "관리들이 화요일 밤에 말했다.",
    "el": "Η συνάντηση των δύο υπουργών διήρκεσε τέσσερις ώρες και ολοκληρώθηκε χωρίς συμφωνία.",
}


def doc(doc_id: str, paragraphs: list[str]) -> Document:
    blocks = [Block(i, i, p) for i, p in enumerate(paragraphs)]
    return Document(doc_id=doc_id, source_path=doc_id, raw_text="", blocks=blocks)


@pytest.mark.parametrize(("lang", "text"), sorted(SAMPLES.items()))
def test_detect(lang, text):
    assert language.detect(text) == lang


def test_too_little_text():
    assert language.detect("OK 12") is None
    assert language.detect("") is None


def test_batch_order_does_not_matter():
    docs = [doc(k, [v]) for k, v in SAMPLES.items()]
    language.detect_batch(docs)
    forward = {d.doc_id: d.language for d in docs}
    back = [doc(k, [v]) for k, v in reversed(SAMPLES.items())]
    language.detect_batch(back)
    assert {d.doc_id: d.language for d in back} == forward == {k: k for k in SAMPLES}


def test_mixed_flag():
    en, de = SAMPLES["en"], SAMPLES["de"]
    mixed = doc("m", [en * 3, de * 2, de * 2, de * 2])
    plain = doc("p", [en * 3, en * 2, en * 2, en * 2])
    language.detect_batch([mixed, plain])
    assert (mixed.language, mixed.language_mixed) == ("en", True)
    assert (plain.language, plain.language_mixed) == ("en", False)


def test_script_shortcut_needs_no_model():
    assert language.script_language(SAMPLES["ko"]) == "ko"
    assert language.script_language(SAMPLES["ja"]) == "ja"
    assert language.script_language(SAMPLES["en"]) is None  # Latin: the model decides
    assert language.script_language(SAMPLES["ru"]) is None  # Cyrillic is shared


def test_gram_keys_in_text_order() -> None:
    """N-gram keys come grouped by their last character, so per-text sums need no sort."""
    import numpy as np

    cps = np.array([ord(c) for c in " ab"], dtype=np.uint32)
    keys = language._gram_keys(cps)
    assert len(keys) == 3 * len(cps) - 3
    assert set(keys.tolist()) >= {ord("a"), ord("b"), (ord("a") << 21) | ord("b")}


def test_letters_counts_letters_only() -> None:
    assert language._letters("abc 123 _ é") == 4
