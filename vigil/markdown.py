"""Markdown (runbook steps, post-mortem sections) to HTML that is safe to show:
parsed with raw HTML off, then sanitized by nh3.

Two layers on purpose: markdown-it escapes any HTML typed into the text, and nh3 (Ammonia)
removes whatever a renderer bug or a `javascript:` link might still let through.

Images load only from Vigil itself (a path, or VIGIL_BASE_URL's origin). A remote image would be
fetched by every reader's browser the moment a post-mortem or runbook is opened, telling its owner
who read it, when and from where (a tracking pixel), and could change after review. So the parser
writes a remote image as a plain link to it (its alt text, or its address, as the link's text), and
nh3 drops any remote `src` that might still get through.
"""

from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


def is_local(src: str) -> bool:
    """SRC loads from Vigil: a relative address, or one on VIGIL_BASE_URL's scheme, host and port."""
    if "\\" in src:  # browsers read "/\host" as "//host"
        return False
    parts = urlsplit(src.strip())
    if not parts.scheme and not parts.netloc:
        return True
    base = urlsplit(settings.VIGIL_BASE_URL)
    return (parts.scheme.lower(), parts.netloc.lower()) == (base.scheme.lower(), base.netloc.lower())


def _image(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if is_local(src):
        return renderer.image(tokens, idx, options, env)
    text = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(text)}</a>'


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_local(value):
        return None
    return value


_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
_parser.add_render_rule("image", _image)


def render_markdown(text: str) -> SafeString:
    html = _parser.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_local_images_only,
    )
    return mark_safe(clean)  # noqa: S308 (sanitized by nh3 just above)
