"""The Media Server's fixed answers: /identity, the server root, /library, images."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from . import render, responses
from .covers import book_cover_png
from .items import item_detail
from .state import ServerState

_ROOT_DIRECTORIES = (
    "activities", "butler", "channels", "clients", "devices", "diagnostics", "hubs", "library", "livetv",
    "media", "metadata", "neighborhood", "playQueues", "player", "playlists", "resources", "search",
    "server", "servers", "statistics", "system", "transcode", "updater", "user",
)


def identity(state: ServerState, request: Request) -> Response:
    """/identity: open to everybody, as on a real server."""
    container = {
        "size": 0, "claimed": True, "machineIdentifier": state.machine_identifier, "version": render.PMS_VERSION
    }
    return responses.pms(request, state.xml_only, container)


def root(state: ServerState, request: Request) -> Response:
    """/: the server's capabilities, as in the real capture."""
    directories = [{"count": 1, "key": n, "title": n} for n in _ROOT_DIRECTORIES]
    container: dict[str, Any] = {
        "size": len(directories),
        "allowCameraUpload": False,
        "allowChannelAccess": True,
        "allowMediaDeletion": True,
        "allowSharing": True,
        "allowSync": True,
        "allowTuners": False,
        "backgroundProcessing": True,
        "certificate": True,
        "companionProxy": True,
        "countryCode": "usa",
        "diagnostics": "logs,databases,streaminglogs",
        "eventStream": True,
        "friendlyName": state.server_name,
        "hubSearch": True,
        "itemClusters": True,
        "livetv": 7,
        "machineIdentifier": state.machine_identifier,
        "mediaProviders": True,
        "multiuser": True,
        "myPlex": True,
        "myPlexMappingState": "mapped",
        "myPlexSigninState": "ok",
        "myPlexSubscription": True,
        "myPlexUsername": state.accounts.owner.email,
        "offlineTranscode": 1,
        "ownerFeatures": "federated-auth,home,loudness,lyrics,premium_music_metadata,webhooks",
        "photoAutoTag": True,
        "platform": "Linux",
        "platformVersion": "22.04.4 LTS (Jammy Jellyfish)",
        "pluginHost": True,
        "pushNotifications": False,
        "readOnlyLibraries": False,
        "streamingBrainABRVersion": 3,
        "streamingBrainVersion": 2,
        "sync": True,
        "transcoderActiveVideoSessions": 0,
        "transcoderAudio": True,
        "transcoderLyrics": True,
        "transcoderPhoto": True,
        "transcoderSubtitles": True,
        "transcoderVideo": True,
        "updatedAt": state.started_at,
        "updater": True,
        "version": render.PMS_VERSION,
        "voiceSearch": True,
    }
    return responses.pms(request, state.xml_only, container, directories)


def library(state: ServerState, request: Request) -> Response:
    """/library: the three fixed directories."""
    directories = [
        {"key": "sections", "title": "Library Sections"},
        {"key": "recentlyAdded", "title": "Recently Added Content"},
        {"key": "onDeck", "title": "On Deck Content"},
    ]
    container = {
        "size": len(directories),
        "allowSync": False,
        "art": "/:/resources/library-art.png",
        "content": "",
        "identifier": render.IDENTIFIER,
        "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
        "mediaTagVersion": render.MEDIA_TAG_VERSION,
        "title1": "Plex Library",
        "title2": "",
    }
    return responses.pms(request, state.xml_only, container, directories)


def image(state: ServerState, request: Request, key: str, kind: str, ts: str | None = None) -> Response:
    """An item's thumb or art (404 when the item does not exist)."""
    if not key.isdigit():
        raise KeyError(key)
    item_detail(state.library, int(key))
    return _cover(state, int(key))


def transcode(state: ServerState, request: Request) -> Response:
    """/photo/:/transcode?url=/library/metadata/{key}/thumb/..: the cover of that item."""
    target = urlsplit(request.args.get("url", "")).path
    parts = target.strip("/").split("/")
    if len(parts) >= 4 and parts[:2] == ["library", "metadata"] and parts[2].isdigit():
        item_detail(state.library, int(parts[2]))
        return _cover(state, int(parts[2]))
    raise KeyError(target)


def _cover(state: ServerState, key: int) -> Response:
    """A book's cover shows its title and author; other items keep a plain colour."""
    album = state.library.albums.get(key)
    if album is None:
        return responses.png(key)
    response = Response(book_cover_png(key, album.title, album.author), content_type="image/png")
    response.headers["Cache-Control"] = "max-age=86400"
    return response
