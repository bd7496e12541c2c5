"""What a subtitle is: a genre statement, a series statement, descriptive, or part of the title.

- genre statements (": A Novel", "- A Cozy Mystery", ": A LitRPG Adventure") are dropped;
- series statements ("Hunger Games Trilogy", "Red Rising Saga", "Expanse 3") are set aside, a
  position kept;
- a descriptive subtitle ("The Story of Success") may be missing on the other side;
- a title-like one ("Alliances", "The Well of Ascension") may not: it names another book.
"""

from __future__ import annotations

import re

__all__ = ["SUB_DESCRIPTIVE", "SUB_NONE", "SUB_TITLELIKE", "is_genre_statement", "series_position", "subtitle_kind"]

SUB_NONE, SUB_DESCRIPTIVE, SUB_TITLELIKE = 0, 1, 2

# Subtitles that only state the genre: ": A Novel", ": A Thriller", ": A Memoir".
_GENRE_SUBTITLES = frozenset({
    "novel", "thriller", "memoir", "mystery", "novella", "romance", "love story", "true story",
    "short story", "novel in stories", "psychological thriller", "novel of suspense",
    "fantasy novel", "science fiction novel", "crime novel", "mystery novel", "thriller novel",
})
# "A Mistborn Novel", "A Jack Reacher Novel": series/genre statements, not part of the title.
_SERIES_NOVEL_RE = re.compile(
    r"^(?:a|an)\s+(?!graphic\b)(?:[\w-]+\s+){0,4}(?:novel|novella|thriller|mystery|story|romance|novel of suspense)$"
)
# Genre taglines made only of genre words and ending in a genre noun: "A Space Opera Adventure",
# "An Urban Fantasy", "A Cozy Witch Mystery", "Epic Fantasy", "A LitRPG Adventure".
_GENRE_NOUNS = frozenset({
    "novel", "novella", "thriller", "mystery", "romance", "adventure", "fantasy", "saga", "tale", "opera",
    "comedy", "romcom", "western", "epic", "litrpg", "gamelit", "horror", "fiction", "suspense", "whodunit",
    "procedural", "dystopia", "standalone", "memoir",
})
_GENRE_WORDS = _GENRE_NOUNS | frozenset({
    "a", "an", "cozy", "cosy", "space", "dark", "urban", "paranormal", "progression", "cultivation", "sci", "fi",
    "scifi", "science", "military", "post", "apocalyptic", "dystopian", "psychological", "crime", "detective",
    "legal", "medical", "political", "spy", "action", "contemporary", "literary", "gothic", "supernatural",
    "magical", "historical", "romantic", "witch", "witchy", "culinary", "small", "town", "christmas", "holiday",
    "heartwarming", "sweet", "clean", "steamy", "sports", "mafia", "gripping", "twisty", "chilling", "thrilling",
    "unputdownable", "addictive", "emotional", "funny", "hilarious", "heroic", "high", "grimdark", "sword",
    "sorcery", "time", "travel", "alien", "invasion", "first", "contact", "galactic", "zombie", "vampire",
    "shifter", "fae", "dragon", "mage", "academy", "harem", "isekai", "regency", "victorian", "police",
    "courtroom", "domestic", "techno", "and", "&", "with", "twist", "shocking", "suspenseful",
    "page", "turning", "turner", "fast", "paced", "edge", "of", "your", "seat", "novel", "short", "read",
})
# A subtitle naming the series: "Hunger Games Trilogy", "The Red Rising Saga", "Expanse Series".
_SERIES_NOUN_RE = re.compile(
    r"^(?:the\s+)?(?:[\w'-]+\s+){1,5}(?:saga|series|trilogy|chronicles|cycle|sequence|quartet|duology|universe)$"
)
# A subtitle ending in a bare position: "Expanse 3", "Divergent 2", "03". Volume words excluded:
# "Volume 2" is a separately sold volume.
_SERIES_TAIL_RE = re.compile(r"^(?:(?![\w'-]*\d)(?!vol\b|volume\b|part\b|pt\b|tome\b|episode\b|chapter\b|season\b)"
                             r"[\w'-]+\s+){0,4}#?(\d{1,3}(?:\.\d)?)$")
# Words that make a subtitle descriptive ("The Story of Success") rather than title-like
# ("Alliances", "The Arctic Incident"). Prepositions count only in longer subtitles: "The Well
# of Ascension" and "The Battle of Corrin" are book titles, "A Brief History of Humankind" is not.
_PREPOSITIONS = frozenset({
    "of", "about", "for", "to", "in", "from", "and", "with", "that", "on", "into", "is", "are", "at", "by",
    "behind", "beyond", "through", "after", "before", "vs", "versus", "between",
})
_DESCRIPTIVE_WORDS = frozenset({
    "how", "why", "what", "your", "you", "my", "our", "who", "when", "where", "inside", "guide", "handbook",
    "primer", "introduction", "memoir", "memoirs", "biography", "autobiography", "stories", "essays", "poems",
    "tales", "letters", "story", "science", "art", "power", "psychology", "truth", "lessons", "life", "lives",
    "making", "anatomy", "untold", "surprising", "remarkable", "extraordinary", "incredible", "inspiring",
    "journey", "quest", "search", "rise", "fall", "reflections", "thoughts", "notes", "conversations",
    "intimate", "brief", "personal", "natural", "cultural", "social", "practical", "visual",
})
_LONG_SUBTITLE = 4  # content words and numbers from which prepositions alone make a subtitle descriptive


def is_genre_statement(core: str) -> bool:
    """Is a (folded, trimmed) subtitle only a genre statement ("A Novel", "A Cozy Witch Mystery")?"""
    if _SERIES_NOVEL_RE.match(core):
        return True
    words = core.split()
    if words and words[0] in ("a", "an") and " ".join(words[1:]) in _GENRE_SUBTITLES:
        return True
    if core in _GENRE_SUBTITLES:
        return True
    return (
        len(words) >= 2 and words[-1] in _GENRE_NOUNS and _GENRE_WORDS.issuperset(words)
        and (words[0] in ("a", "an") or len(words) >= 2)
    )


def series_position(segment: str) -> tuple[bool, str | None]:
    """Is a subtitle a series statement? Then (True, its position as text, if any)."""
    if _SERIES_NOUN_RE.match(segment):
        return True, None
    tail = _SERIES_TAIL_RE.match(segment)
    if tail is not None:
        return True, tail.group(1)
    return False, None


def subtitle_kind(sub_content: list[str], sub_nums: list[int], alt: bool) -> int:
    """SUB_NONE, SUB_DESCRIPTIVE ("The Story of Success") or SUB_TITLELIKE ("Alliances")."""
    if not sub_content and not sub_nums:
        return SUB_NONE
    if alt or not _DESCRIPTIVE_WORDS.isdisjoint(sub_content):
        return SUB_DESCRIPTIVE
    if len(sub_content) + len(sub_nums) >= _LONG_SUBTITLE:
        return SUB_DESCRIPTIVE
    if len(sub_content) + len(sub_nums) == 3 and _PREPOSITIONS.isdisjoint(sub_content):
        return SUB_DESCRIPTIVE  # three words without "of": "Thinking Fast Slow" style, as before
    return SUB_TITLELIKE
