"""Shared pieces of the benchmarks: a deterministic help-center generator and measured runs.

:func:`generate_kb` writes a realistic knowledge base of ``n`` Russian articles (front matter,
sections, headings, lists, tables, admonitions, links between articles) from a seeded RNG, so
the same ``n`` and ``seed`` always give the same text, apart from ``updated:`` dates, which are
relative to today so that ``kb check`` never calls them stale.

:func:`run_measured` runs one command and returns its wall time and the peak RSS of that very
process (``os.wait4``), not the cumulative maximum that ``RUSAGE_CHILDREN`` gives, and its CPU
time, which other work on a shared machine disturbs less than the wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb_helpcenter.generator.slugs import slugify, unique_slug  # noqa: E402

# ---- vocabulary --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A section of the generated help center and the words its articles are made of."""

    id: str
    title: str
    description: str
    icon: str
    objects: tuple[str, ...]  # accusative: "Как {verb} {object}"
    problems: tuple[str, ...]  # "Что делать, если {problem}"
    tags: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic("account", "Личный кабинет", "Вход, пароль, номер телефона и настройки профиля.",
          "material/account-circle-outline",
          ("пароль", "номер телефона", "адрес почты", "профиль", "двухфакторную защиту",
           "уведомления", "личный кабинет", "учётную запись"),
          ("не приходит код из смс", "не получается войти", "аккаунт заблокирован",
           "забыли пароль", "сменился номер телефона"),
          ("вход", "профиль", "безопасность")),
    Topic("orders", "Заказы", "Оформление, статусы, изменение и отмена заказа.",
          "material/clipboard-text-outline",
          ("заказ", "статус заказа", "состав заказа", "адрес доставки", "заявку на рассрочку",
           "промокод", "чек"),
          ("заказ завис в статусе «Оформлен»", "пропал заказ из списка", "не применился промокод",
           "банк отклонил рассрочку", "не пришло письмо о заказе"),
          ("заказы", "рассрочка", "статусы")),
    Topic("payment", "Оплата", "Способы оплаты, ошибки платежей, двойные списания и чеки.",
          "material/credit-card-outline",
          ("оплату картой", "платёж через СБП", "оплату в терминале", "способ оплаты", "чек",
           "возврат платежа"),
          ("оплата не прошла", "деньги списались дважды", "карту отклонил банк",
           "платёж завис", "не пришёл чек"),
          ("оплата", "карта", "сбп")),
    Topic("delivery", "Доставка", "Сроки, зоны и стоимость доставки, пункты выдачи, курьеры.",
          "material/truck-outline",
          ("доставку", "курьера", "пункт выдачи", "время доставки", "трек-номер",
           "подъём на этаж"),
          ("курьер не приехал", "заказ задерживается", "не работает трек-номер",
           "привезли не тот товар", "пункт выдачи закрыт"),
          ("доставка", "курьер", "самовывоз")),
    Topic("returns", "Возврат и обмен", "Как вернуть или обменять товар и когда вернутся деньги.",
          "material/keyboard-return",
          ("товар", "деньги за товар", "бракованный товар", "технически сложный товар",
           "заявление на возврат"),
          ("не приняли товар обратно", "деньги за возврат не пришли", "потерян чек",
           "товар оказался с браком", "истёк срок возврата"),
          ("возврат", "обмен", "брак")),
    Topic("warranty", "Гарантия и ремонт", "Гарантийный срок, сервисные центры и подменный фонд.",
          "material/shield-check-outline",
          ("гарантийный талон", "ремонт", "сервисный центр", "подменный аппарат",
           "диагностику"),
          ("ремонт затянулся", "в ремонте отказали", "потерян гарантийный талон",
           "поломка повторилась", "сервисный центр далеко"),
          ("гарантия", "ремонт", "сервис")),
    Topic("loyalty", "Бонусы и акции", "Баллы, уровни программы лояльности, акции и скидки.",
          "material/star-circle-outline",
          ("баллы", "бонусную карту", "уровень в программе", "скидку", "подарочный сертификат"),
          ("баллы не начислились", "баллы сгорели", "не работает сертификат",
           "скидка не применилась", "уровень понизился"),
          ("бонусы", "акции", "скидки")),
    Topic("mobile", "Мобильная связь", "SIM и eSIM, мобильный интернет, роуминг и тарифы.",
          "material/sim-outline",
          ("SIM-карту", "eSIM", "тариф", "мобильный интернет", "точку доступа APN",
           "переадресацию"),
          ("нет сети", "не работает мобильный интернет", "телефон не видит SIM-карту",
           "быстро заканчивается трафик", "не проходят звонки"),
          ("связь", "sim", "интернет")),
    Topic("internet", "Домашний интернет", "Подключение, роутер, Wi-Fi и скорость домашнего интернета.",
          "material/router-wireless",
          ("роутер", "Wi-Fi", "домашний интернет", "пароль от Wi-Fi", "телевидение"),
          ("низкая скорость интернета", "роутер не раздаёт Wi-Fi", "пропадает соединение",
           "не работает телевидение", "мастер не пришёл"),
          ("интернет", "роутер", "wi-fi")),
    Topic("smart-home", "Умный дом", "Приложение «Дом», подключение техники и прошивки.",
          "material/home-automation",
          ("устройство", "приложение «Дом»", "прошивку", "сценарий автоматизации",
           "робот-пылесос"),
          ("приложение не видит устройство", "устройство не в сети", "не обновляется прошивка",
           "сценарий не срабатывает", "сбились настройки"),
          ("умный дом", "приложение", "устройства")),
)
SUB_TOPIC = Topic("mobile/roaming", "Роуминг", "Связь и интернет в поездках.", "material/airplane",
                  ("роуминг", "пакет интернета в поездке", "звонки за границей"),
                  ("не работает связь за границей", "дорого обходится роуминг",
                   "не подключается пакет в поездке"),
                  ("роуминг", "поездки"))

VERBS = ("настроить", "изменить", "проверить", "подключить", "отключить", "восстановить",
         "оформить", "найти", "получить", "вернуть")
WHERE = ("", " в приложении", " на сайте", " через оператора", " без паспорта", " для юрлица",
         " в другом городе", " после обновления")
PLACES = ("личный кабинет", "приложение «Вольта»", "раздел «Заказы»", "раздел «Настройки»",
          "страницу профиля", "чат поддержки")
ACTIONS = ("обратитесь в поддержку", "перезапустите приложение", "проверьте настройки",
           "подождите несколько минут", "повторите попытку позже", "обновите страницу",
           "напишите нам в чат", "позвоните по номеру на сайте")
UNITS = ("минут", "часов", "дней", "рабочих дней")
SENTENCES = (
    "Откройте {place} и выберите {object}.",
    "Если {problem}, {action}.",
    "Обычно это занимает от {n} до {m} {unit}.",
    "Проверьте, что {object} указан правильно, и {action}.",
    "Изменить {object} можно в любой момент, пока заказ не передан в доставку.",
    "Мы пришлём уведомление, когда {object} будет готов.",
    "Сохраните чек и номер заказа: они понадобятся, если {problem}.",
    "Для этого нужен доступ к личному кабинету и номер телефона, указанный при регистрации.",
    "Услуга бесплатная, комиссию может взять только ваш банк.",
    "Если вы не уверены, {action} — оператор проверит {object} за вас.",
    "В приложении путь короче: {place}, затем {object}.",
    "Срок рассмотрения — до {m} {unit} с момента обращения.",
    "Подробности смотрите в договоре оферты, раздел {n}.",
    "Чаще всего причина в том, что {problem}.",
)
ADMONITIONS = ("note", "tip", "warning", "info")
ADMONITION_TITLES = ("Обратите внимание", "Совет", "Важно", "Сроки")
HEADINGS = ("Что понадобится", "Пошаговая инструкция", "Если не получилось", "Сроки",
            "Стоимость", "Частые вопросы", "Куда обратиться", "Ограничения", "Что проверить")
ALIAS_TEMPLATES = ("как {verb} {object}", "не могу {verb} {object}", "{problem} что делать",
                   "где {verb} {object}", "{object} {verb} помогите")
SYNONYMS = (
    ("лк", "личный кабинет", "кабинет", "аккаунт"),
    ("смс", "sms", "код из смс"),
    ("сим", "симка", "sim-карта"),
    ("вайфай", "wi-fi", "wifi"),
    ("баллы", "бонусы", "кэшбэк"),
    ("курьер", "доставщик"),
    ("возврат", "вернуть деньги", "рефанд"),
)


# ---- generation --------------------------------------------------------------------------------


@dataclass
class Planned:
    """An article before its body exists: enough to link to it."""

    id: str
    topic: Topic
    slug: str
    title: str
    problem: str
    object: str
    verb: str


_PLAIN = re.compile(r"^[А-Яа-яЁёA-Za-z0-9«][^:#\n\"']*$")


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when safe, a double-quoted (JSON) string otherwise."""
    return text if _PLAIN.match(text) and not text.endswith(("?", "-")) else json.dumps(text, ensure_ascii=False)


def _titles(topic: Topic, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """Every (title, verb, object, problem) combination of ``topic``, shuffled."""
    combos = []
    for where in WHERE:
        for verb in VERBS:
            for obj in topic.objects:
                problem = rng.choice(topic.problems)
                combos.append((f"Как {verb} {obj}{where}", verb, obj, problem))
                combos.append((f"Можно ли {verb} {obj}{where}", verb, obj, problem))
        for problem in topic.problems:
            verb, obj = rng.choice(VERBS), rng.choice(topic.objects)
            combos.append((f"Что делать, если {problem}{where}", verb, obj, problem))
    for problem in topic.problems:
        combos.append((f"Почему {problem}", rng.choice(VERBS), rng.choice(topic.objects), problem))
    rng.shuffle(combos)
    return combos


def plan_articles(n: int, rng: random.Random) -> list[Planned]:
    """Titles, ids and sections of ``n`` articles; sections get uneven shares, as in life."""
    topics = (*TOPICS, SUB_TOPIC)
    weights = [rng.uniform(0.5, 1.5) for _ in topics]
    pools = {t.id: _titles(t, rng) for t in topics}
    used = {t.id: 0 for t in topics}
    taken: set[str] = set()
    planned = []
    for _ in range(n):
        topic = rng.choices(topics, weights)[0]
        pool = pools[topic.id]
        title, verb, obj, problem = pool[used[topic.id] % len(pool)]
        if used[topic.id] >= len(pool):
            title += f" (вариант {used[topic.id] // len(pool) + 1})"
        used[topic.id] += 1
        slug = unique_slug(slugify(title, max_length=50), taken)
        taken.add(slug)
        planned.append(Planned(slug, topic, slug, title, problem, obj, verb))
    return planned


def _sentence(p: Planned, rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(
        place=rng.choice(PLACES), object=rng.choice(p.topic.objects), problem=rng.choice(p.topic.problems),
        action=rng.choice(ACTIONS), n=rng.randint(1, 5), m=rng.randint(6, 30), unit=rng.choice(UNITS),
    )


def _link(p: Planned, target: Planned) -> str:
    if target.topic.id == p.topic.id:
        href = f"{target.slug}.md"
    else:
        up = "../" * (p.topic.id.count("/") + 1)
        href = f"{up}{target.topic.id}/{target.slug}.md"
    return f"[{target.title[0].lower() + target.title[1:]}]({href})"


def _paragraph(p: Planned, rng: random.Random, words: list[int], links: list[Planned]) -> str:
    sentences = [_sentence(p, rng) for _ in range(rng.randint(2, 5))]
    if links and rng.random() < 0.5:
        sentences.append(f"Подробнее — в статье {_link(p, links.pop())}.")
    text = " ".join(sentences)
    words[0] += len(text.split())
    return text


def article_body(p: Planned, rng: random.Random, others: list[Planned]) -> str:
    """A 200–600 word Markdown body: intro, 2–4 ``##`` sections, lists, maybe a table and a note."""
    target = rng.randint(190, 520)
    words = [0]
    links = [o for o in rng.sample(others, k=min(len(others), rng.randint(1, 3))) if o.id != p.id]
    headings = rng.sample(HEADINGS, k=rng.randint(2, 4))
    blocks = [_paragraph(p, rng, words, links)]
    table = rng.random() < 0.2
    note = rng.random() < 0.25
    for i, heading in enumerate(headings):
        blocks.append(f"## {heading}")
        if rng.random() < 0.35:
            steps = [_sentence(p, rng) for _ in range(rng.randint(3, 6))]
            words[0] += sum(len(s.split()) for s in steps)
            blocks.append("\n".join(f"{k}. {s}" for k, s in enumerate(steps, 1)))
        if table and i == 0:
            rows = ["| Способ | Срок | Стоимость |", "|---|---|---|"]
            rows += [f"| {rng.choice(p.topic.objects).capitalize()} | до {rng.randint(1, 14)} "
                     f"{rng.choice(UNITS)} | {rng.choice(('бесплатно', f'{rng.randint(1, 9)}00 ₽'))} |"
                     for _ in range(rng.randint(3, 5))]
            words[0] += 6 * (len(rows) - 2)
            blocks.append("\n".join(rows))
        # spread the remaining words over the remaining sections
        share = (target - words[0]) // (len(headings) - i)
        while share > 0:
            before = words[0]
            blocks.append(_paragraph(p, rng, words, links))
            share -= words[0] - before
    if note:
        kind = rng.randrange(len(ADMONITIONS))
        blocks.insert(rng.randint(2, len(blocks)), f'!!! {ADMONITIONS[kind]} "{ADMONITION_TITLES[kind]}"\n'
                      f"    {_sentence(p, rng)} {_sentence(p, rng)}")
    for target_article in links:  # links that found no paragraph go at the end
        blocks.append(f"См. также: {_link(p, target_article)}.")
    return "\n\n".join(blocks) + "\n"


def front_matter(p: Planned, rng: random.Random, others: list[Planned], today: dt.date, *,
                 featured: bool = False) -> str:
    """Valid front matter: id, title, summary, 3 aliases, tags, related ids that exist, updated."""
    aliases = []
    for template in rng.sample(ALIAS_TEMPLATES, k=3):
        aliases.append(template.format(verb=p.verb, object=rng.choice(p.topic.objects).lower(),
                                       problem=rng.choice(p.topic.problems)))
    related = [o.id for o in rng.sample(others, k=min(len(others), rng.randint(1, 4))) if o.id != p.id][:3]
    updated = today - dt.timedelta(days=rng.randint(0, 182))
    lines = [
        "---",
        f"id: {p.id}",
        f"title: {yaml_scalar(p.title)}",
        f"summary: {yaml_scalar(_sentence(p, rng) + ' ' + _sentence(p, rng))}",
        "aliases:",
        *(f"  - {yaml_scalar(a)}" for a in aliases),
        f"tags: [{', '.join(rng.sample(p.topic.tags, k=rng.randint(1, len(p.topic.tags))))}]",
        f"related: [{', '.join(related)}]",
        f"updated: {updated.isoformat()}",
        *(["featured: true"] if featured else []),
        "---",
        "",
    ]
    return "\n".join(lines)


def generate_kb(project: Path, n: int, *, seed: int = 20260, today: dt.date | None = None) -> Path:
    """Write a project of ``n`` articles (``mkdocs.yml`` + ``kb/``) into ``project``; return it."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    kb = project / "kb"
    planned = plan_articles(n, rng)
    by_topic: dict[str, list[Planned]] = {}
    for p in planned:
        by_topic.setdefault(p.topic.id, []).append(p)
    for order, topic in enumerate((*TOPICS, SUB_TOPIC), 1):
        folder = kb / topic.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "_section.yml").write_text(
            f"title: {yaml_scalar(topic.title)}\ndescription: {yaml_scalar(topic.description)}\n"
            f"icon: {topic.icon}\norder: {order}\n", encoding="utf-8")
    featured = {items[0].id for items in list(by_topic.values())[:8]}
    for p in planned:
        # a third of the links leave the section, the rest stay among neighbours
        neighbours = by_topic[p.topic.id]
        others = neighbours if len(neighbours) > 4 and rng.random() < 0.67 else planned
        text = front_matter(p, rng, others, today, featured=p.id in featured)
        text += "\n" + article_body(p, rng, others)
        (kb / p.topic.id / f"{p.slug}.md").write_text(text, encoding="utf-8")
    (kb / "_synonyms.yml").write_text(
        "# Groups of interchangeable words (generated for benchmarks).\n"
        + "".join(f"- [{', '.join(group)}]\n" for group in SYNONYMS), encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: Справочный центр «Бенчмарк»\n"
        "site_url: http://127.0.0.1:8000/\n"
        "theme:\n  language: ru\n"
        "extra:\n  kb:\n    contact_url: https://example.org/support\n", encoding="utf-8")
    return project


# ---- measured runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One measured process: exit code, wall and CPU (user + system) seconds, peak RSS in MB."""

    returncode: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    log: Path


def run_measured(cmd: list[str], *, log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Run:
    """Run ``cmd`` with output to ``log``; time it and read its own peak RSS via ``wait4``."""
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait() a reaped child
    cpu = usage.ru_utime + usage.ru_stime
    return Run(proc.returncode, seconds, cpu, usage.ru_maxrss / 1024, log)  # Linux: ru_maxrss is in KB


def tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log, for error messages."""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
