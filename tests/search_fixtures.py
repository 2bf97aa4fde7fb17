"""Small manifests for the search tests: a few articles of the «Вольта» help center."""

from __future__ import annotations

from pathlib import Path

from kb_helpcenter.search.engine.index import build_index
from kb_helpcenter.search.manifest import ArticleRecord, Heading, Manifest, TranscriptCue, VideoRecord

ARTICLES = (
    ArticleRecord(
        id="application-processing-time",
        url="orders/application-processing-time/",
        title="Почему заявка так долго «в обработке»",
        summary="Заявку на рассрочку рассматривает банк-партнёр до 3 рабочих дней.",
        aliases=("заявка висит в обработке", "сколько ждать решения по заявке"),
        tags=("заказы", "рассрочка"),
        section="Заказы",
        headings=(Heading("partner-deadline", "Срок партнёра"),),
        body="Статус «В обработке» означает, что заявка передана банку-партнёру. "
        "Банк обязан ответить не позднее 3 рабочих дней.",
    ),
    ArticleRecord(
        id="activate-sim",
        url="mobile/activate-sim/",
        title="Как активировать SIM-карту",
        summary="SIM-карта начинает работать сразу после оформления договора.",
        section="Мобильная связь",
        body="Вставьте SIM-карту в iPhone 15 или Android. Мобильный интернет заработает сразу.",
    ),
    ArticleRecord(
        id="cannot-log-in",
        url="account/cannot-log-in/",
        title="Не получается войти в личный кабинет",
        summary="Проверьте номер телефона и SMS-код.",
        section="Аккаунт",
        body="Если появилась ошибка 404, обновите страницу. Код приходит в SMS.",
    ),
    ArticleRecord(
        id="connect-fridge-wifi",
        url="smart-home/connect-fridge-wifi/",
        title="Как подключить холодильник к Wi-Fi",
        summary="Холодильник подключается к сети Wi-Fi 2,4 ГГц.",
        section="Умный дом",
        body="Откройте приложение и выберите сеть. Пароль от роутера <b>обязателен</b>.",
        videos=(
            VideoRecord(
                url="https://video.example/fridge",
                title="Подключение холодильника",
                transcript=(TranscriptCue(5.0, "зажмите кнопку на дисплее три секунды"),),
            ),
        ),
    ),
    ArticleRecord(
        id="osago",
        url="insurance/osago/",
        title="Страховка ОСАГО при покупке в кредит",
        summary="Полис ОСАГО оформляется отдельно.",
        section="Страхование",
        body="Полис ОСАГО не входит в стоимость.",
    ),
    ArticleRecord(
        id="refund",
        url="en/refund/",
        title="How to get a refund",
        summary="Refunds reach your card within 5 days.",
        section="Refunds",
        body="We send the money back to the card you paid with. Refunded orders show in history.",
        lang="en",
    ),
    ArticleRecord(
        id="payment-methods",
        url="payment/payment-methods/",
        title="Способы оплаты",
        summary="Картой, через СБП, наличными или в терминале.",
        section="Оплата",
        body="Оплатить заказ можно картой онлайн, наличными курьеру или в терминале в магазине. "
        "Payment by card is accepted.",
    ),
    ArticleRecord(
        id="earn-points",
        url="loyalty/earn-points/",
        title="Как начисляются баллы",
        summary="Баллы начисляются за покупки.",
        section="Бонусы",
        body="Ёлочные игрушки тоже приносят баллы. Баллы начисляются через 14 дней.",
    ),
)

SYNONYMS = (
    ("симка", "sim-карта", "сим-карта"),
    ("лк", "личный кабинет"),
    ("холодос", "холодильник"),
)


def sample_manifest() -> Manifest:
    """The small test help center with its synonym groups."""
    return Manifest(articles=ARTICLES, synonyms=SYNONYMS)


def build_sample(tmp_path: Path, manifest: Manifest | None = None) -> Path:
    """Build the sample index under ``tmp_path/.kb/index`` and return that path."""
    index_dir = tmp_path / ".kb" / "index"
    build_index(manifest or sample_manifest(), index_dir)
    return index_dir
