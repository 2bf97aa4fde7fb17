"""Masking personal data: one implementation for the event store, the gap report and drafts.

    >>> mask("звоните +7 (999) 123-45-67 или 8 999 1234567, карта 4276 1234 5678 9012, a.b@mail.ru")
    'звоните [phone] или [phone], карта [card], [email]'
    >>> mask("ivan [at] example [dot] com, дом 123-45-67, ИНН 7707083893, с 192.168.1.10")
    '[email], дом [phone], ИНН [inn], с [ip]'

What is masked, and by what:

- e-mail addresses, also written to dodge filters (``ivan(at)example.com``,
  ``ivan [at] example [dot] com``, ``ivan (собака) mail (точка) ru``) become ``[email]``;
- card-like numbers (13–19 digits, single spaces or dashes between them) become ``[card]``;
- phone numbers: Russian (``+7 (999) 123-45-67``, ``8 999 1234567``, ``89991234567``), seven-digit
  local ones (``123-45-67``, ``123 45 67``) and international ones (``+44 20 7946 0958``) become
  ``[phone]``;
- IPv4 and IPv6 addresses become ``[ip]`` (IPv6 candidates are checked by :mod:`ipaddress`, so a
  time like ``12:30:45`` stays);
- a passport's series and number (``паспорт 4510 123456``, ``серия 45 10 номер 123456``) become
  ``[passport]``; SNILS (``123-456-789 01``) ``[snils]``; an INN after the word ИНН ``[inn]``;
- any other run of nine or more digits (contract, order, account numbers; a bare INN or SNILS)
  becomes ``[number]``.

Names are not masked: no well-kept library for Russian names fits this package's size (the
NER models that do it well weigh hundreds of MB), and a list of first names masks «Вера» in
«вера в бренд». Dates, times, amounts, versions and short codes ("ошибка 404", "01.02.2024
12:30", "2.1.0") are left alone; a four-part version ("2.1.0.5") reads as an IPv4 address and
is masked. :func:`mask` is idempotent (placeholders hold no digits, no ``@``, no ``[at]``), so
text masked when it was recorded can be masked again at the report.
"""

from __future__ import annotations

import ipaddress
import re

PLACEHOLDERS = ("[email]", "[card]", "[phone]", "[ip]", "[passport]", "[snils]", "[inn]", "[number]")

_AT = r"(?:\s*@\s*|\s*[(\[{]\s*(?:at|собака|собачка)\s*[)\]}]\s*)"
_DOT = r"(?:\.|\s*[(\[{]\s*(?:dot|точка)\s*[)\]}]\s*)"
_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-zа-я]{{2,}}\b", re.I)
_CARD = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d])")
_PASSPORT = re.compile(r"(?i)(?<!\w)(паспорт\w*|серия|passport)(\D{0,20}?)\d{2} ?\d{2}(\D{0,20}?)\d{6}(?!\d)")
_SNILS = re.compile(r"(?<![\d-])\d{3}-\d{3}-\d{3}[ -]\d{2}(?![\d-])")
_INN = re.compile(r"(?i)(?<!\w)(инн|inn)(\s*:?\s*)\d{10}(?:\d{2})?(?!\d)")
_RU_PHONE = re.compile(
    r"(?<![\w+])(?:\+7|8)[ \t-]*\(?\d{3}\)?[ \t-]*\d{3}[ \t-]*\d{2}[ \t-]*\d{2}(?!\d)"
)
_LOCAL_PHONE = re.compile(r"(?<![\d-])(?<!\d[.,:])\d{3}([- ])\d{2}\1\d{2}(?![\d-])(?![.,:]\d)")
_INTL_PHONE = re.compile(r"(?<![\w+])\+\d[\d \t()-]{7,}\d(?!\d)")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_LONG_NUMBER = re.compile(r"\+?\(?\d(?:[ ()-]{0,2}\d){8,}\)?")
_PLACEHOLDER = re.compile(r"\[(?:email|card|phone|ip|passport|snils|inn|number)\]")


def _ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[ip]"


def mask(text: str) -> str:
    """``text`` with e-mails, cards, phones, addresses, documents and long numbers as placeholders."""
    if not any(c.isdigit() for c in text) and "@" not in text and not _maybe_obfuscated(text):
        return text  # the common case, and the cheap one
    text = _EMAIL.sub("[email]", text)
    text = _PASSPORT.sub(r"\1\2[passport]", text)
    text = _INN.sub(r"\1\2[inn]", text)
    text = _SNILS.sub("[snils]", text)
    text = _CARD.sub("[card]", text)
    text = _IPV4.sub("[ip]", text)
    if ":" in text:
        text = _IPV6_CANDIDATE.sub(_ipv6, text)
    text = _RU_PHONE.sub("[phone]", text)
    text = _INTL_PHONE.sub("[phone]", text)
    text = _LOCAL_PHONE.sub("[phone]", text)
    return _LONG_NUMBER.sub("[number]", text)


def _maybe_obfuscated(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ("at)", "at]", "at}", "собак", "(at", "[at"))


def without_placeholders(text: str) -> str:
    """``text`` with the placeholders removed, for analysis ("[card]" is not the word "card")."""
    return _PLACEHOLDER.sub(" ", text) if "[" in text else text
