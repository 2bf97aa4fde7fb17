"""The helpdesk export parser and masking: every messy case of INTERFACES.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_helpcenter.search.gaps.questions import QuestionsError, clean_message, read_questions
from kb_helpcenter.search.privacy import mask


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_cp1251_with_semicolons_and_multiline_fields(tmp_path: Path):
    text = 'id;тема;created_at\n1;"Не приходит SMS,\nхотя номер верный";01.05.2026 10:30\n2;;02.05.2026\n3;Где мой заказ?;\n'
    parsed = read_questions(write(tmp_path, "t.csv", text.encode("cp1251")))
    assert (parsed.encoding, parsed.delimiter, parsed.text_column) == ("cp1251", ";", "тема")
    assert [q.text for q in parsed.questions] == ["Не приходит SMS, хотя номер верный", "Где мой заказ?"]
    assert parsed.skipped_empty == 1
    assert parsed.questions[0].created_at.isoformat() == "2026-05-01T10:30:00+00:00"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_and_bom(tmp_path: Path, delimiter: str):
    text = f"channel{delimiter}question\nchat{delimiter}Как вернуть товар\n"
    parsed = read_questions(write(tmp_path, "t.csv", b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert parsed.delimiter == delimiter and parsed.encoding == "utf-8-sig"
    assert [(q.text, q.channel) for q in parsed.questions] == [("Как вернуть товар", "chat")]


def test_json_lines_with_bad_rows_and_a_named_column(tmp_path: Path):
    data = '{"Body": "<p>Карта&nbsp;не работает</p>"}\nnot json\n[1]\n{"body": ""}\n'
    parsed = read_questions(write(tmp_path, "t.jsonl", data.encode()), text_column="body")
    assert [q.text for q in parsed.questions] == ["Карта не работает"]
    assert (parsed.skipped_bad, parsed.skipped_empty) == (2, 1)


def test_missing_text_column_is_a_clear_error(tmp_path: Path):
    with pytest.raises(QuestionsError, match="no text column.*--text-column"):
        read_questions(write(tmp_path, "t.csv", b"a,b\n1,2\n"))


@pytest.mark.parametrize("raw, expected", [
    ("Где мой заказ?\n\n> старый ответ\n> ещё", "Где мой заказ?"),
    ("Не могу войти\n-----Original Message-----\nFrom: a\nold", "Не могу войти"),
    ("Не могу войти\n\n12 мая 2024 г., в 10:00, Поддержка <s@x.ru> пишет:\n> текст", "Не могу войти"),
    ("Помогите с оплатой\nС уважением,\nИван Петров", "Помогите с оплатой"),
    ("My card did not arrive\n--\nJohn", "My card did not arrive"),
    ("Hello\nSent from my iPhone", "Hello"),
    ("<div>Ошибка <b>404</b><br>на сайте</div><style>p{}</style>", "Ошибка 404 на сайте"),
    ("a &lt;script&gt; b", "a <script> b"),
])
def test_clean_message(raw: str, expected: str):
    assert clean_message(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("+7 (999) 123-45-67", "[phone]"),
    ("8 999 1234567", "[phone]"),
    ("89991234567", "[phone]"),
    ("карта 4276 1234 5678 9012", "карта [card]"),
    ("карта 4276-1234-5678-9012-345", "карта [card]"),
    ("ivan.petrov+shop@mail.ru", "[email]"),
    ("паспорт 4510 123456", "паспорт [passport]"),
    # seven-digit local numbers, obfuscated e-mails, addresses and documents (issue: hardening)
    ("звоните 123-45-67, спросите Ивана", "звоните [phone], спросите Ивана"),
    ("дом. тел 123 45 67", "дом. тел [phone]"),
    ("ivan(at)example.com", "[email]"),
    ("ivan [at] example [dot] com", "[email]"),
    ("пишите ivan (собака) mail (точка) ru", "пишите [email]"),
    ("ivan @ example.com", "[email]"),
    ("мой ip 192.168.1.10, роутер 10.0.0.1", "мой ip [ip], роутер [ip]"),
    ("адрес 2001:db8::1 и fe80::1ff:fe23:4567:890a", "адрес [ip] и [ip]"),
    ("серия 45 10 номер 123456", "серия [passport]"),
    ("Паспорт: 4510123456", "Паспорт: [passport]"),
    ("СНИЛС 123-456-789 01", "СНИЛС [snils]"),
    ("ИНН 7707083893 и ИНН: 500100732259", "ИНН [inn] и ИНН: [inn]"),
    ("ИНН7707083893", "ИНН[inn]"),
    ("СНИЛС 12345678901", "СНИЛС [number]"),
    # not personal: times, dates, versions, amounts, short codes
    ("встреча в 10:30:15, версия 2.1.0 и 1.2", "встреча в 10:30:15, версия 2.1.0 и 1.2"),
    ("версия 2.1.0.5", "версия [ip]"),  # four numbers look like an address: masked, to be safe
    ("тариф 123-45, код 0000, 2024-01-02", "тариф 123-45, код 0000, 2024-01-02"),
    ("ошибка 404 01.02.2024 12:30 на 1500.00 руб", "ошибка 404 01.02.2024 12:30 на 1500.00 руб"),
])
def test_mask(raw: str, expected: str):
    assert mask(raw) == expected
    assert mask(mask(raw)) == mask(raw)
