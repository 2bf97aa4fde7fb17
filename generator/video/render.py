"""Videos as click-to-play facades: pure functions from :class:`Video` to HTML.

Nothing on the page talks to a video host until the reader presses play: the facade is a button
with the title over a neutral placeholder (or the writer's own poster image), and the player's
URL waits in a ``data-`` attribute for ``assets/kb/video.js``. Chapters and transcript lines are
buttons that start the video at their moment. A ``<noscript>`` link covers readers without JS.
"""

from __future__ import annotations

import re
from html import escape

from kb_helpcenter.generator.model import Video
from kb_helpcenter.generator.video.sources import parse_video_url
from kb_helpcenter.generator.video.transcripts import clock_text

PLAY_ICON = (
    '<svg viewBox="0 0 68 48" width="68" height="48" aria-hidden="true" focusable="false">'
    '<rect width="68" height="48" rx="12" fill="currentColor"/><path d="M27 14v20l18-10z" fill="#fff"/></svg>'
)


def video_anchor(index: int) -> str:
    """The id of the ``index``-th video (1-based) of a page; ``#video-2-t90`` starts it at 1:30."""
    return f"video-{index}"


def _time_button(seconds: float, label: str) -> str:
    return (f'<button type="button" class="kb-video__seek" data-kb-seek="{int(seconds)}">'
            f'<time>{clock_text(seconds)}</time></button> {label}')


def facade_html(video: Video, index: int, *, fallback_title: str, poster_url: str | None = None) -> str:
    """The HTML block of one video: facade, caption, chapters, transcript, noscript link."""
    source = video.source
    title = escape(video.title or fallback_title)
    anchor = video_anchor(index)
    where = "файл" if source.kind == "file" else source.provider_name
    watch = escape(source.watch_url)
    if poster_url:
        cover = f'<img class="kb-video__poster" src="{escape(poster_url)}" alt="" loading="lazy">'
    else:
        cover = f'<span class="kb-video__placeholder"><span class="kb-video__title">{title}</span></span>'
    parts = [
        f'<figure class="kb-video" id="{anchor}" data-kb-video data-provider="{source.provider}" '
        f'data-kind="{source.kind}" data-embed="{escape(source.embed)}" data-start="{video.start}" '
        f'data-title="{title}">',
        '<div class="kb-video__frame">',
        f'<button type="button" class="kb-video__play" aria-label="Смотреть видео «{title}»">'
        f'{cover}<span class="kb-video__icon">{PLAY_ICON}</span></button>',
        "</div>",
        f'<figcaption class="kb-video__caption"><span>{title}</span> '
        f'<a href="{watch}" target="_blank" rel="noopener">'
        f'{"Скачать видео" if source.kind == "file" else f"Смотреть на {where}"}</a></figcaption>',
    ]
    if video.chapters:
        items = "".join(f"<li>{_time_button(c.seconds, escape(c.title))}</li>" for c in video.chapters)
        parts.append(f'<ol class="kb-video__chapters" aria-label="Главы видео">{items}</ol>')
    if video.cues:
        lines = "".join(f"<p>{_time_button(c.start, escape(c.text))}</p>" for c in video.cues)
        parts.append(f'<details class="kb-video__transcript"><summary>Текст видео</summary>{lines}</details>')
    parts.append(f'<noscript><a href="{watch}">{title} — смотреть на {escape(where)}</a></noscript>')
    parts.append("</figure>")
    return "\n".join(parts)


_FENCE = re.compile(r"^\s*(```|~~~)")
_BARE = re.compile(r"^<?(https?://\S+?)>?\s*$")


def embed_bare_links(body: str, *, first_index: int, fallback_title: str) -> tuple[str, int]:
    """Replace video links standing alone on a line (outside code) with facades.

    Returns the new body and how many videos were embedded. Other links are left as they are.

    >>> text, n = embed_bare_links("Смотрите:\\n\\nhttps://vimeo.com/76979871\\n", first_index=1, fallback_title="T")
    >>> n, 'id="video-1"' in text
    (1, True)
    """
    out: list[str] = []
    count = 0
    fence = ""
    previous_blank = True
    lines = body.splitlines()
    for i, line in enumerate(lines):
        marker = _FENCE.match(line)
        if marker:
            fence = "" if fence == marker.group(1) else (fence or marker.group(1))
        match = None if fence or marker else _BARE.match(line)
        next_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        source = parse_video_url(match.group(1)) if match and previous_blank and next_blank else None
        if source is not None:
            count += 1
            video = Video(url=match.group(1), source=source, start=source.start)
            out.append(facade_html(video, first_index + count - 1, fallback_title=fallback_title))
        else:
            out.append(line)
        previous_blank = not line.strip()
    return "\n".join(out) + ("\n" if body.endswith("\n") else ""), count
