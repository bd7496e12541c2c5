"""Error messages worded for the page the reader is on."""

from __future__ import annotations

from ..errors import ConfigError, PlexAuthError, PlexbooksError

#: What to do about a refused token, said on the Settings page itself.
SETTINGS_PAGE_TOKEN_ADVICE = "Paste a new token, or use Sign in with Plex, and test again."


def sentence(text: str) -> str:
    """Capitalise the first letter only (str.capitalize would lowercase "Plex" and "URL") and end with a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def field_message(err: ConfigError) -> str:
    """A setting's error without its key name ("plex_url: ..."), as a sentence."""
    return sentence(err.detail)


def settings_page_problem(err: PlexbooksError) -> str:
    """An error as the Settings page shows it: no key names, and advice that fits this page."""
    if isinstance(err, PlexAuthError):
        return f"{err.fact} {SETTINGS_PAGE_TOKEN_ADVICE}"
    if isinstance(err, ConfigError):
        return field_message(err)
    return sentence(str(err))
