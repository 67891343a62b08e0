"""Wrap a URL the way each redirector and click-time checker in archiver.unwrap.redirectors does.

Each template follows a published example (docs/wrapper-formats.md section 3), with the
wrapper's own trailing parameters, so the payload is not the last thing in the URL unless the
real wrapper puts it there.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, urlsplit

from .safelinks import encode_component

_TEMPLATES = {
    "google": "https://www.google.com/url?q={p}&sa=D&source=editors&ust=1700000000000000&usg=AOvVaw0abc",
    "google-search": "https://www.google.co.uk/url?sa=t&rct=j&q=&esrc=s&source=web&cd=1&url={p}&usg=AOvVaw1",
    "facebook": "https://l.facebook.com/l.php?u={p}&h=AT0abcDEF",
    "facebook-mobile": "https://lm.facebook.com/l.php?u={p}&h=AT1abc",
    "messenger": "https://l.messenger.com/l.php?u={p}&h=AT2abc",
    "instagram": "https://l.instagram.com/?u={p}&e=AT3abc",
    "barracuda": "https://linkprotect.cudasvc.com/url?a={lp}&c=E,1,Tok3n-abc,&typo=1",
    "trendmicro": "https://imsva91-ctp.trendmicro.com:443/wis/clicktime/v1/query?url={p}&umid=A1B2&auth=deadbeef",
    "sophos": "https://eu-west-1.protection.sophos.com?d={host}&u={b64}&i=NWNl&t=VmZ3&h=c2e0&s=AVNN",
    "symantec": "https://clicktime.symantec.com/3AbCdEf7Gh?u={p}",
    "fireeye": "https://protect2.fireeye.com/v1/url?k=31323334-501d5122&q=1&e=abc&u={p}",
    "cisco": "https://secure-web.cisco.com/1Xy_Z0tok3n/{p}",
    "aws-ses": "https://abc.r.us-east-1.awstrack.me/L0/{p}/1/0100018b-abcd/Xyz0=123",
    "linkedin": "https://www.linkedin.com/redir/redirect?url={p}&urlhash=Ab3d&trk=public_post",
    "linkedin-safety": "https://www.linkedin.com/safety/go?url={p}&trk=flagship-messaging-web",
    "slack": "https://slack-redir.net/link?url={p}",
    "youtube": "https://www.youtube.com/redirect?event=video_description&redir_token=QUFF&q={p}&v=abc",
    "vk": "https://vk.com/away.php?to={p}&cc_key=",
    "whatsapp": "https://l.wl.co/l?u={p}",
    "esvalabs": "https://urlsand.esvalabs.com/?u={p}&e=abc&h=def&f=y&p=y",
}

STYLES = tuple(_TEMPLATES)
"""Every wrapping style the encoder knows (some kinds have two, e.g. google and google-search)."""

# The kind the decoder reports for each style.
KIND = {style: style for style in STYLES} | {
    "google-search": "google",
    "facebook-mobile": "facebook",
    "linkedin-safety": "linkedin",
}


def wrap(style: str, url: str) -> str:
    """Wrap ``url`` in the redirector ``style`` (one of ``STYLES``)."""
    return _TEMPLATES[style].format(
        p=encode_component(url),
        lp=encode_component(url, lower_hex=True),
        b64=base64.b64encode(url.encode("utf-8")).decode("ascii"),
        host=quote(urlsplit(url).hostname or "", safe=""),
    )
