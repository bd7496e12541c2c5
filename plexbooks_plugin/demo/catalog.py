"""The demo host's "store catalog": half of it is in the fake Plex library, half is not."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..fakeplex import FakePlex
from ..matching import REQUEST_THRESHOLD, Candidate, LibraryIndex
from ..plex.parsing import asin_from_guid

# Well-known audiobooks outside the emulator's pool of real titles; any that the generated library
# happens to match anyway are dropped, so the "not in Plex" half really is missing.
MISSING_CANDIDATES: tuple[tuple[str, str, str | None], ...] = (
    ("A Memory Called Empire", "Arkady Martine", "Amy Landon"),
    ("The Ministry for the Future", "Kim Stanley Robinson", "Jennifer Pickens"),
    ("The Vanishing Half", "Brit Bennett", "Shayna Small"),
    ("Normal People", "Sally Rooney", "Aoife McMahon"),
    ("Hamnet", "Maggie O'Farrell", "Ell Potter"),
    ("The Guest List", "Lucy Foley", "Olivia Dowd"),
    ("The Overstory", "Richard Powers", "Suzanne Toren"),
    ("Exhalation", "Ted Chiang", "Ted Chiang"),
    ("Beach Read", "Emily Henry", "Julia Whelan"),
    ("Pachinko", "Min Jin Lee", "Allison Hiroto"),
    ("The Underground Railroad", "Colson Whitehead", "Bahni Turpin"),
    ("The Lincoln Highway", "Amor Towles", "Marin Ireland"),
    ("A Gentleman in Moscow", "Amor Towles", "Nicholas Guy Smith"),
    ("The Covenant of Water", "Abraham Verghese", "Abraham Verghese"),
    ("Demon Copperhead", "Barbara Kingsolver", "Charlie Thurston"),
    ("Hello Beautiful", "Ann Napolitano", "Maura Tierney"),
    ("The Heaven & Earth Grocery Store", "James McBride", "Dominic Hoffman"),
    ("Lincoln in the Bardo", "George Saunders", "Nick Offerman"),
    ("The Dutch House", "Ann Patchett", "Tom Hanks"),
    ("Transcendent Kingdom", "Yaa Gyasi", "Bahni Turpin"),
)


@dataclass(frozen=True)
class CatalogBook:
    """One catalog entry of the demo host."""

    id: str
    title: str
    author: str | None
    narrator: str | None = None
    asin: str | None = None
    in_fake_plex: bool = False  # what the demo expects; the badge itself comes from plexbooks

    @property
    def request_id(self) -> str:
        """The host's request id for this book (one request per book in the demo)."""
        return f"demo-{self.id}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {**asdict(self), "request_id": self.request_id}


def build_catalog(plex: FakePlex, size: int = 30) -> list[CatalogBook]:
    """Pick `size // 2` books from the emulator's library and as many it does not have, interleaved."""
    albums = [a for a in plex.albums() if a.author and len(a.title) <= 48]
    owned_count = size // 2
    step = max(1, len(albums) // max(owned_count, 1))
    owned: list[CatalogBook] = []
    for n, album in enumerate(albums[::step][:owned_count]):
        asin = asin_from_guid(album.guid)
        title = album.title
        # Vary how the store spells things so the demo shows the matcher at work, not string equality.
        if n % 5 == 1 and ":" not in title and "(" not in title:
            title = f"{title} (Unabridged)"
        owned.append(CatalogBook(
            id=f"o{album.rating_key}", title=title, author=album.author, narrator=album.narrator,
            asin=asin if n % 3 == 0 else None, in_fake_plex=True,
        ))
    index = LibraryIndex(
        Candidate(key=str(a.rating_key), title=a.title, author=a.author, narrator=a.narrator) for a in plex.albums()
    )
    missing: list[CatalogBook] = []
    for n, (title, author, narrator) in enumerate(MISSING_CANDIDATES):
        if len(missing) >= size - len(owned):
            break
        if index.best_match(title, author, threshold=REQUEST_THRESHOLD) is None:
            missing.append(CatalogBook(id=f"m{n + 1}", title=title, author=author, narrator=narrator))
    mixed: list[CatalogBook] = []
    for pair in zip(owned, missing, strict=False):
        mixed.extend(pair)
    mixed.extend(owned[len(missing):] + missing[len(owned):])
    return mixed
