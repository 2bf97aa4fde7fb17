"""search.engine.analysis: normalisation, tokens, morphology, stop words, keyboard layouts."""

from __future__ import annotations

import pickle

import pytest

from kb_helpcenter.search.engine.analysis import (
    analyze,
    analyzer,
    could_be_wrong_layout,
    lemma,
    max_typo_distance,
    normalize,
    surfaces_and_terms,
    to_english_layout,
    to_russian_layout,
)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Wi-Fi", ["wi-fi", "wi", "fi"]),
        ("SIM-карту", ["sim-карта", "sim", "карта"]),
        ("iPhone 15", ["iphon", "15"]),
        ("ОСАГО", ["осаго"]),
        ("ошибка 404", ["ошибка", "404"]),
        ("версия 1.5", ["версия", "1.5"]),
    ],
)
def test_product_names_codes_and_numbers_survive(text, terms):
    assert analyze(text) == terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ЁЛКА", "елка"),
        ("Ｗｉ‑Ｆｉ", "wi-fi"),  # full-width letters and a non-breaking hyphen
        ("ЗАЯВКА", "заявка"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_emoji_and_punctuation_are_not_words():
    assert analyze("ЗАЯВКА!!! 😡 висит?!") == ["заявка", "висеть"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("заявками", "заявка"),
        ("заявку", "заявка"),
        ("обрабатывают", "обрабатывать"),
        ("refunds", "refund"),
        ("refunded", "refund"),
        ("sim-карту", "sim-карта"),
        ("бакета", "бакет"),  # unknown to the dictionary: stemmed, like its other forms
        ("бакете", "бакет"),
        ("404", "404"),
    ],
)
def test_lemma_by_script(word, expected):
    assert lemma(word) == expected


def test_stop_words_go_but_negation_stays():
    assert analyze("Почему у меня не приходит код") == ["не", "приходить", "код"]
    assert analyze("Why hasn't my card arrived") == ["why", "not", "card", "arriv"]
    assert analyze("нет связи") == ["нет", "связь"]


def test_forms_of_stop_words_go_after_lemmatisation():
    assert analyze("С чего начать") == ["начать"]


def test_one_pass_analysis_matches_the_chain():
    text = "Не приходит SMS на SIM-карту, а iPhone 15 пишет «ошибка»."
    assert [term for _, _, term in surfaces_and_terms(text) if term] == analyze(text)


def test_boost_marks_weight_tokens():
    from kb_helpcenter.search.engine.analysis import boosted

    tokens = [(t.text, t.boost) for t in analyzer()(boosted([("Заявка", 3.0), ("банк", 1.0)]))]
    assert tokens == [("заявка", 3.0), ("банк", 1.0)]


def test_keyboard_layouts_both_ways():
    assert to_russian_layout("pfzdrf dbcbn") == "заявка висит"
    assert to_english_layout("зфньуте") == "payment"
    assert could_be_wrong_layout("pfzdrf") == "ru"
    assert could_be_wrong_layout("зфньуте") == "en"
    assert could_be_wrong_layout("sim-карта") is None


def test_typo_distance_scales_with_length():
    assert [max_typo_distance(w) for w in ("лк", "сим", "заявка", "интернет")] == [0, 0, 1, 2]


def test_the_chain_pickles():
    # Whoosh pickles the schema, analyzers included, into the index
    chain = pickle.loads(pickle.dumps(analyzer()))
    assert [t.text for t in chain("заявками")] == ["заявка"]
