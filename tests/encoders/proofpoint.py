"""Wrap a URL the way Proofpoint URL Defense v1, v2 and v3 do, to round-trip the decoder.

Written from the rules in docs/wrapper-formats.md section 1, independently of the decoder: it
shares no code with ``archiver.unwrap.proofpoint``.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

V1_KEY = "oIvRg1%2BdGAgOoM1BIlLLqw%3D%3D%0A"
V2_ORG = "DwMFaQ"
V3_ORG = "MED6SQ"
V3_TOKEN = "LFQOC-Zd53SBbTDu7ebRSh8WPxrs0svTV3bpjJUoGgUCPNABCVxlTEqw6Wsi9QAcsfzIgcZZIdqgMbZ4HA"

RUN_LENGTHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
MAX_RUN = 2 + len(RUN_LENGTHS) - 1  # 65 bytes: the longest run one '**X' placeholder holds

# ASCII bytes v3 replaces: observed (* % # + [ ]) and assumed (the rest: unsafe in URLs).
V3_REPLACED_ASCII = frozenset(b'*%#+[]{}|\\^"<>` ') | frozenset(range(0x20)) | {0x7F}


def encode_v1(url: str, host: str = "urldefense.proofpoint.com", key: str = V1_KEY) -> str:
    """A v1 link: ``u=`` is the URL's UTF-8 bytes percent-encoded, ``:`` and ``/`` left bare."""
    return (
        f"https://{host}/v1/url?u={quote(url, safe=':/')}&k={key}"
        "&r=IKM5u8%2B%2F%2Fi8EBhWOS%2BqGbTqCC%2BrMqWI%2FVfEAEsQO%2F0Y%3D%0A"
        "&m=Ww6iaHO73mDQpPQwOwfLfN8WMapqHyvtu8jM8SjqmVQ%3D%0A"
        "&s=d3583cfa53dade97025bc6274c6c8951dc29fe0f38830cf8e5a447723b9f1c9a"
    )


def encode_v2(url: str, host: str = "urldefense.proofpoint.com", org: str = V2_ORG) -> str:
    """A v2 link: percent-encode all but letters, digits, ``.`` and ``/``, then write ``%`` as
    ``-`` and ``/`` as ``_`` (so an original ``-`` is ``-2D`` and ``_`` is ``-5F``)."""
    escaped = quote(url, safe="/").replace("_", "%5F").replace("-", "%2D").replace("~", "%7E")
    payload = escaped.replace("%", "-").replace("/", "_")
    return (
        f"https://{host}/v2/url?u={payload}&d={org}"
        "&c=Vxt5e0Osvvt2gflwSlsJ5DmPGcPvTRKLJyp031rXjhg"
        "&r=MujLDFBJstxoxZI_GKbsW7wxGM7nnIK__qZvVy6j9Wc"
        "&m=QJGhloAyfD0UZ6n8r6y9dF-khNKqvRAIWDRU_K65xPI"
        "&s=ew-rOtBFjiX1Hgv71XQJ5BEgl9TPaoWRm_Xp9Nuo8bk&e="
    )


def v3_placeholder(count: int) -> str:
    """The placeholder for ``count`` adjacent replaced bytes: 65-byte chunks, then the rest."""
    full, rest = divmod(count, MAX_RUN)
    tail = "" if rest == 0 else "*" if rest == 1 else "**" + RUN_LENGTHS[rest - 2]
    return "**_" * full + tail


def encode_v3(
    url: str,
    host: str = "urldefense.com",
    org: str = V3_ORG,
    token: str = V3_TOKEN,
    also_replace: frozenset[int] = frozenset(),
) -> str:
    """A v3 link: replace non-ASCII and unsafe bytes by placeholders, append them base64url.

    ``also_replace`` adds ASCII bytes to replace, to show the decoder does not depend on which
    bytes a gateway chose.
    """
    data = url.encode("utf-8")
    replace = V3_REPLACED_ASCII | also_replace
    body: list[str] = []
    replaced = bytearray()
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and (data[j] >= 0x80 or data[j] in replace):
            j += 1
        if j > i:
            body.append(v3_placeholder(j - i))
            replaced += data[i:j]
            i = j
        else:
            body.append(chr(data[i]))
            i += 1
    b64 = base64.urlsafe_b64encode(bytes(replaced)).rstrip(b"=").decode("ascii")
    return f"https://{host}/v3/__{''.join(body)}__;{b64}!!{org}!{token}$"
