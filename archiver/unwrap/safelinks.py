"""Microsoft Defender for Office 365 Safe Links, and Azure Communication Services e-mail links.

Safe Links carry the original in ``url=``, percent-encoded once; ``data=`` carries
``|``-separated fields about the message (layout versions 01-05, reverse-engineered; see
docs/wrapper-formats.md section 2). ``dest=`` on the Teams form is another URL, never the payload.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import SplitResult

from .params import PayloadWrapper, exact_paths, param, percent_decode, query_value

_MAIL_HOSTS = frozenset(
    {
        "safelinks.protection.outlook.com",
        "*.safelinks.protection.outlook.com",
        "safelinks.protection.office365.us",
        "*.safelinks.protection.office365.us",
        # 21Vianet (China) cloud.
        "safelinks.protection.partner.outlook.cn",
        "*.safelinks.protection.partner.outlook.cn",
    }
)
# The Teams / Office apps interstitial page, on its CDN hosts (the onecdn one since 2025).
_TEAMS_HOSTS = frozenset(
    {"statics.teams.cdn.office.net", "staticsint.teams.cdn.office.net", "teams.public.onecdn.static.microsoft"}
)
_OWA_HOST = "outlook.office.com"
_TEAMS_PATH = re.compile(r"/evergreen-assets/safelinks/\d+/atp-safelinks\.html")
_OWA_PATH = "/mail/safelink.html"

# Field names of data=, by position; each version adds fields at the end (01: 7 ... 05: 14).
_DATA_FIELDS = (
    "version",
    "type",
    "recipient",
    "message_id",
    "tenant_id",
    "flag_1",
    "flag_2",
    "timestamp",
    "verdict",
    "client",
    "code",
    "context_1",
    "context_2",
    "context_3",
)
_DOTNET_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)


def _safelinks_path(host: str, path: str) -> bool:
    """Mail Safe Links take any path (``/``, ``/ap/...``); Teams and OWA have one page each."""
    if host in _TEAMS_HOSTS:
        return _TEAMS_PATH.fullmatch(path) is not None
    if host == _OWA_HOST:
        return path == _OWA_PATH
    return True


def _safelinks_fields(url: str, parts: SplitResult) -> dict[str, str]:
    """The wrapper host, its region label, the product, and the ``data=`` fields by name."""
    host = (parts.hostname or "").rstrip(".")
    fields = {"host": host}
    if host in _TEAMS_HOSTS:
        fields["product"] = "teams"
    elif host == _OWA_HOST:
        fields["product"] = "outlook-web"
    else:
        fields["product"] = "email"
        region = host.partition(".safelinks.")[0]
        if region and region != host and "." not in region:
            fields["region"] = region
    data = query_value(url, "data")
    if data:
        fields.update(parse_data(percent_decode(data)[0]))
    return fields


def parse_data(data: str) -> dict[str, str]:
    """Name the ``|``-separated fields of a decoded Safe Links ``data=`` value.

    Fields beyond the known layout are kept as ``field_<n>``; empty fields are left out. The
    .NET ticks timestamp is also given as ISO 8601 UTC (``sent_utc``).
    """
    fields: dict[str, str] = {}
    for position, value in enumerate(data.split("|")):
        if not value:
            continue
        name = _DATA_FIELDS[position] if position < len(_DATA_FIELDS) else f"field_{position}"
        fields[name] = value
    ticks = fields.get("timestamp", "")
    if ticks.isdigit() and len(ticks) <= 19:
        try:
            moment = _DOTNET_EPOCH + timedelta(microseconds=int(ticks) // 10)
        except OverflowError:
            return fields
        fields["sent_utc"] = moment.isoformat().replace("+00:00", "Z")
    return fields


FORMATS = (
    PayloadWrapper(
        kind="safelinks",
        hosts=_MAIL_HOSTS | _TEAMS_HOSTS | {_OWA_HOST},
        path=_safelinks_path,
        locate=param("url"),
        read_fields=_safelinks_fields,
    ),
    PayloadWrapper(
        kind="azure-email",
        hosts=frozenset({"*.safelink.emails.azure.net", "emails.azure.microsoft.com"}),
        path=exact_paths("/redirect"),
        locate=param("destination"),
    ),
)
