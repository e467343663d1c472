"""Read an article (plain text or HTML) and cut it into numbered sentences and word tokens.

The cleaning is for news pages saved as text: hard-wrapped lines are joined, image links and
reference markers (``[1]``) are dropped, a trailing ``References`` list is cut off, lines in
capitals (photo credits) are skipped, and a sentence printed twice (a caption) is kept once.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from mapper.errors import MapperError

__all__ = ["Sentence", "Token", "clean_text", "read_article", "split_sentences", "tokenize"]

# Quotes and spaces written one way; each replacement is one character, so offsets survive.
_CHAR_MAP = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "\u2013": "-", "\u2012": "-",
})
_IMAGE_LINK = re.compile(r"\[%2F[^\]]*\]", re.DOTALL)
_REF_MARK = re.compile(r"\[\d+\]")
_URL = re.compile(r"^\s*(?:\d+\.\s*)?https?://\S+\s*$")
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption",
    "figure", "blockquote", "section", "article", "header", "footer", "tr", "table", "title",
})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "gen", "lt", "col", "maj", "capt", "sgt", "prof", "rev",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "etc", "approx", "u.s", "u.k", "e.g", "i.e", "al",
})
_SENTENCE_END = re.compile(r"""[.!?]["')\]]*(?=\s+["'(\[]?[A-Z0-9])""")
_WORD = re.compile(r"[^\W_]+(?:['\-.][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article.

    Parameters
    ----------
    number
        1-based position among the sentences kept (captions printed twice count once).
    text
        The cleaned sentence (straight quotes, one line).
    paragraph
        1-based paragraph number.
    """

    number: int
    text: str
    paragraph: int


@dataclass(frozen=True)
class Token:
    """A word of a sentence.

    Parameters
    ----------
    text
        The word as written, without a possessive ending (``Aleppo's`` -> ``Aleppo``).
    start, end
        Character offsets of the whole word (possessive included) in the sentence.
    possessive
        The word ended in ``'s`` or ``s'``.
    """

    text: str
    start: int
    end: int
    possessive: bool = False

    @property
    def lower(self) -> str:
        """The word in lower case."""
        return self.text.lower()


class _TextFromHTML(HTMLParser):
    """Collect the visible text of an HTML page, one paragraph per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", " "))


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<p>" in head or "<p " in head or "<div" in head


def read_article(path: Path | str) -> str:
    """Read an article file (UTF-8 plain text or HTML) and return its plain text.

    Parameters
    ----------
    path
        A ``.txt`` or ``.html`` file.

    Returns
    -------
    str
        The text, paragraphs separated by blank lines (HTML tags removed).

    Raises
    ------
    MapperError
        The file cannot be read or is not UTF-8 (the message names the line).

    Examples
    --------
    >>> read_article("tests/data/articles/kherson-2022.txt")[:7]  # doctest: +SKIP
    'Ukraine'
    """
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = Path(path).read_bytes()[:exc.start].count(b"\n") + 1
        raise MapperError(f"{path}:{line}: not UTF-8 text ({exc.reason}); save the article "
                          "as UTF-8") from exc
    except OSError as exc:
        raise MapperError(f"{path}: cannot read the article: {exc.strerror}") from exc
    if Path(path).suffix.lower() in {".html", ".htm"} or _looks_like_html(raw):
        parser = _TextFromHTML()
        parser.feed(raw)
        parser.close()
        return html.unescape("".join(parser.parts))
    return raw


def clean_text(text: str) -> str:
    """Normalise an article's text: quotes, image links, reference marks, references list.

    Parameters
    ----------
    text
        Raw article text.

    Returns
    -------
    str
        The text, NFC-normalised with straight quotes, ``[n]`` marks and image links removed,
        and everything from a line reading ``References`` on dropped.

    Examples
    --------
    >>> clean_text("The [1]offensive\u2019s start.\\n\\nReferences\\n\\n 1. https://x.org")
    "The offensive's start.\\n"
    """
    text = unicodedata.normalize("NFC", text).translate(_CHAR_MAP)
    text = _IMAGE_LINK.sub("", text)
    text = _REF_MARK.sub("", text)
    lines = []
    for line in text.splitlines():
        if line.strip().lower() in {"references", "links"}:
            break
        if _URL.match(line):
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).rstrip("\n") + "\n"


def _is_credit(paragraph: str) -> bool:
    """A line of capitals (a photo credit such as ``OMAR HAJ KADOUR/AFP/GETTY``)."""
    letters = [c for c in paragraph if c.isalpha()]
    if not letters:
        return True
    upper = sum(c.isupper() for c in letters)
    return upper / len(letters) > 0.8 and len(letters) > 3


def split_sentences(text: str) -> list[Sentence]:
    """Cut cleaned text into sentences, numbered from 1.

    Paragraphs are separated by blank lines; lines within a paragraph are joined. Credits in
    capitals are skipped, and a sentence identical to an earlier one (a caption repeated) is
    kept only the first time.

    Parameters
    ----------
    text
        Text from :func:`clean_text`.

    Returns
    -------
    list of Sentence

    Examples
    --------
    >>> [s.text for s in split_sentences("Rebels took Saraqib. Mr. Waters said so.\\n")]
    ['Rebels took Saraqib.', 'Mr. Waters said so.']
    """
    sentences: list[Sentence] = []
    seen: set[str] = set()
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    for number, paragraph in enumerate(paragraphs, start=1):
        joined = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
        if _is_credit(joined):
            continue
        for piece in _split_paragraph(joined):
            key = piece.casefold()
            if key in seen:
                continue
            seen.add(key)
            sentences.append(Sentence(len(sentences) + 1, piece, number))
    return sentences


def _split_paragraph(paragraph: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        before = paragraph[start:match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if match.group().startswith(".") and (
            last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())
        ):
            continue
        pieces.append(paragraph[start:match.end()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def tokenize(sentence: str) -> list[Token]:
    """Split a sentence into word tokens with offsets; possessive endings are marked.

    Parameters
    ----------
    sentence
        One sentence (straight quotes).

    Returns
    -------
    list of Token

    Examples
    --------
    >>> [(t.text, t.possessive) for t in tokenize("Aleppo's citadel, the rebels' advance")]
    [('Aleppo', True), ('citadel', False), ('the', False), ('rebels', True), ('advance', False)]
    """
    tokens: list[Token] = []
    for match in _WORD.finditer(sentence):
        word, end = match.group(), match.end()
        word = word.rstrip(".")
        possessive = False
        if word.endswith("'s"):
            word, possessive = word[:-2], True
        elif end < len(sentence) and sentence[end] == "'" and word.endswith("s") and (
            end + 1 >= len(sentence) or not sentence[end + 1].isalpha()
        ):
            possessive = True
            end += 1
        if word:
            tokens.append(Token(word, match.start(), end, possessive))
    return tokens
