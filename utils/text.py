"""Plain-text handling of message bodies.

Bodies are plain text. They are stored sanitised: markup that a careless client
could render (script/style blocks, tags, comments) is removed, control characters
are dropped and line ends normalised. Clients still render bodies as text (OWL
escapes ``t-out`` of a string), so nothing a user types is ever executed.
"""

import re
import unicodedata

DEFAULT_BODY_MAX_CHARS = 4000

# whole blocks whose content must not survive as text either
_DANGEROUS_BLOCK_RE = re.compile(
    r"<(script|style|iframe|object|embed|template|noscript)\b[^>]*>.*?"
    r"(<\s*/\s*\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT_RE = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
# a tag as browsers parse it: "<" then a letter (or "/", "!", "?" and a letter) and
# a closing ">"; "a < b", "x<3" or "if a<b then" stay as typed
_TAG_RE = re.compile(r"<[/!?]?[a-zA-Z][^<>]*>")
# C0/C1 controls except tab and line feed, plus bidi overrides used to spoof text
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def sanitize_body(body, max_chars=DEFAULT_BODY_MAX_CHARS):
    """Return ``body`` as safe plain text, or raise ``ValueError`` if too long.

    ``None``/``False`` give ``""``. The length limit applies after sanitising, so
    markup that is stripped does not count.
    """
    if body is None or body is False:
        return ""
    if not isinstance(body, str):
        raise TypeError("A message body must be a string.")
    text = unicodedata.normalize("NFC", body)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # strip until stable: removing "<b>" from "<<b>img onerror=...>" must not
    # leave a new tag behind
    previous = None
    while previous != text:
        previous = text
        text = _DANGEROUS_BLOCK_RE.sub("", text)
        text = _COMMENT_RE.sub("", text)
        text = _TAG_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    text = text.strip()
    if len(text) > max_chars:
        raise ValueError(max_chars)
    return text
