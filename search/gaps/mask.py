"""Masking personal data in questions before they reach a report, a draft or JSON.

    >>> mask("звоните +7 (999) 123-45-67 или 8 999 1234567, карта 4276 1234 5678 9012, a.b@mail.ru")
    'звоните [phone] или [phone], карта [card], [email]'

- e-mail addresses become ``[email]``;
- card-like numbers (13–19 digits, single spaces or dashes between them) become ``[card]``;
- phone numbers in Russian formats (``+7 (999) 123-45-67``, ``8 999 1234567``, ``89991234567``)
  and international ones (``+44 20 7946 0958``) become ``[phone]``;
- any other run of nine or more digits (passport, contract, order numbers) becomes ``[number]``,
  as :mod:`search.events.clean` does on the way into the event store.

:func:`mask` is idempotent (placeholders hold no digits and no ``@``), so text that was masked
when it was recorded can be masked again at the report boundary. Dates, times, amounts and
short codes ("ошибка 404", "01.02.2024 12:30") are left alone.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("[email]", "[card]", "[phone]", "[number]")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d])")
_RU_PHONE = re.compile(
    r"(?<![\w+])(?:\+7|8)[ \t-]*\(?\d{3}\)?[ \t-]*\d{3}[ \t-]*\d{2}[ \t-]*\d{2}(?!\d)"
)
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d[\d \t()-]{7,}\d(?!\d)")
_LONG_NUMBER = re.compile(r"\+?\(?\d(?:[ ()-]{0,2}\d){8,}\)?")
_PLACEHOLDER = re.compile(r"\[(?:email|card|phone|number)\]")


def mask(text: str) -> str:
    """``text`` with e-mails, card numbers, phones and long numbers replaced by placeholders."""
    if not any(c.isdigit() for c in text) and "@" not in text:
        return text  # the common case, and the cheap one
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub("[card]", text)
    text = _RU_PHONE.sub("[phone]", text)
    text = _INTL_PHONE.sub("[phone]", text)
    return _LONG_NUMBER.sub("[number]", text)


def without_placeholders(text: str) -> str:
    """``text`` with the placeholders removed, for analysis ("[card]" is not the word "card")."""
    return _PLACEHOLDER.sub(" ", text) if "[" in text else text
