"""Safe Links (every host form, data= versions) and Azure e-mail links."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import unwrap, unwrap_chain
from archiver.unwrap.safelinks import parse_data
from tests.encoders import safelinks as enc
from tests.unwrap_strategies import original_urls

FORMS = ("regional", "bare", "gov", "teams", "owa", "ap")
ORIGINAL = "https://example.org/a%2Fb/caf%C3%A9/?q=1+2&url=x%26y&data=z#frag"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("data_version", [None, "01", "02", "03", "04", "05"])
@pytest.mark.parametrize("signed", [True, False])
def test_every_host_form_and_data_version_decodes(form, data_version, signed):
    wrapped = enc.wrap_safelinks(ORIGINAL, form=form, data_version=data_version, signed=signed)
    result = unwrap_chain(wrapped)
    assert result.url == ORIGINAL and result.ok
    assert result.kinds == ("safelinks",)


@settings(max_examples=200, deadline=None)
@given(original_urls(), st.sampled_from(FORMS), st.booleans())
def test_any_url_round_trips_through_any_form(url, form, lower_hex):
    assert unwrap(enc.wrap_safelinks(url, form=form, lower_hex=lower_hex), strict=True) == url


@pytest.mark.parametrize("version", ["01", "02", "03", "04", "05"])
def test_data_fields_are_named_per_version(version):
    fields = unwrap_chain(enc.wrap_safelinks(ORIGINAL, data_version=version)).layers[0].fields
    assert fields["host"] == "eur04.safelinks.protection.outlook.com"
    assert fields["region"] == "eur04" and fields["product"] == "email"
    assert fields["version"] == version
    assert fields["recipient"] == enc.RECIPIENT and fields["tenant_id"] == enc.TENANT_ID
    assert fields["message_id"] == enc.MESSAGE_ID
    assert ("timestamp" in fields) == (version >= "02")
    assert ("verdict" in fields) == (version >= "03")
    assert ("code" in fields) == (version >= "04")


def test_data_example_from_a_published_decoder():
    # jhochwald's ConvertFrom-SafeLinksURL gist (docs/wrapper-formats.md section 2).
    fields = parse_data(
        "04|01|joerg@hochwald.net|6944b678|b768b3c4|0|0|637405284900251734|Unknown|TWFpbGZs|1000"
    )
    assert fields["recipient"] == "joerg@hochwald.net"
    assert fields["verdict"] == "Unknown" and fields["code"] == "1000"
    assert fields["sent_utc"] == "2020-11-09T14:21:30.025173Z"


def test_unknown_extra_data_fields_are_kept_by_position():
    fields = parse_data("06|01|a@b.example|m|t|0|0|1|Unknown|c|0|||||new")
    assert fields["field_15"] == "new"


def test_teams_dest_is_never_taken_for_the_payload():
    wrapped = enc.wrap_safelinks(ORIGINAL, form="teams")
    dest_first = wrapped.replace("?url=", "?dest=https%3A%2F%2Fteams.microsoft.com%2Fx&url=")
    for url in (wrapped, dest_first):
        result = unwrap_chain(url)
        assert result.url == ORIGINAL
        assert result.layers[0].fields["product"] == "teams"


def test_url_is_read_by_name_wherever_it_is_in_the_query():
    wrapped = "https://nam02.safelinks.protection.outlook.com/?data=05%7C01%7Cx&reserved=0&url=https%3A%2F%2Fexample.org%2F"
    assert unwrap(wrapped) == "https://example.org/"


def test_plus_stays_plus_and_escapes_of_the_original_stay():
    wrapped = "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.org%2Fa+b%3Fq%3D%252F&data="
    assert unwrap(wrapped) == "https://example.org/a+b?q=%2F"


def test_published_example_with_its_own_encoded_url_parameter_is_not_truncated():
    # vilega/O365Troubleshooters#136 (defanged there): decoding twice or splitting on & truncates.
    wrapped = (
        "https://eur03.safelinks.protection.outlook.com/?url=https%3A%2F%2Fbbox.blackbaudhosting.com"
        "%2Fwebforms%2Flinkredirect%3Furl%3Dhttps%253A%252F%252Fsurinamroots.com%252Fwp-content%252F"
        "Ap3dX.html%2523lidia.boniecka%40pipelife.com&data=02%7C01%7Clidia.boniecka%40pipelife.com"
        "%7Ced25cbc74af442cd90ec08d84de50334%7C5615522379ac48ba8ade00446899a49c%7C0%7C0%7C637344993743300939"
        "&sdata=WAhFhdepotIro2QLY1t8OorohsvfsIdGcipXE6aZ1c8%3D&reserved=0"
    )
    result = unwrap_chain(wrapped)
    assert result.url == (
        "https://bbox.blackbaudhosting.com/webforms/linkredirect?url=https%3A%2F%2Fsurinamroots.com"
        "%2Fwp-content%2FAp3dX.html%23lidia.boniecka@pipelife.com"
    )
    assert result.layers[0].fields["version"] == "02"
    assert result.layers[0].fields["tenant_id"] == "5615522379ac48ba8ade00446899a49c"


def test_published_sharepoint_ap_path_with_html_escaped_ampersands():
    # vilega/O365Troubleshooters#167: /ap/w-59584e83/ path, copied from HTML with &amp;.
    wrapped = (
        "https://nam06.safelinks.protection.outlook.com/ap/w-59584e83/?url=https%3A%2F%2Fabeona13-my.sharepoint.com"
        "%2Fpersonal%2Fadmin_abeona13_onmicrosoft_com%2FDocuments%2F20%2520cazuri%2520GR%2520rezolvate%2520v1.2"
        "%2520(1).docx%3Fweb%3D1&amp;data=04%7C01%7COana.Frincu%40microsoft.com%7C12d054cf2444457984c808d8e23287f4"
        "%7C72f988bf86f141af91ab2d7cd011db47%7C1%7C0%7C637508053955135537%7CUnknown%7CTWFpbGZsb3d8eyJWIjoiMC4wLjAwMDAi"
        "LCJQIjoiV2luMzIiLCJBTiI6Ik1haWwiLCJXVCI6Mn0%3D%7C3000&amp;sdata=gno1UCBwKJ43zLcykWCUkTNjzNoYotDimW4lbVLzA5U%3D"
        "&amp;reserved=0"
    )
    result = unwrap_chain(wrapped)
    assert result.url == (
        "https://abeona13-my.sharepoint.com/personal/admin_abeona13_onmicrosoft_com/Documents/"
        "20%20cazuri%20GR%20rezolvate%20v1.2%20(1).docx?web=1"
    )
    fields = result.layers[0].fields
    assert fields["recipient"] == "Oana.Frincu@microsoft.com" and fields["region"] == "nam06"
    assert fields["code"] == "3000"
    assert any("&amp;" in repair for repair in result.repairs)


def test_published_old_link_with_lower_case_hex_and_no_data():
    # cphyc/thunderbird_remove_safelinks#1: old links used lower-case escapes.
    assert unwrap("https://na01.safelinks.protection.outlook.com/?url=http%3a%2f%2fwww.avanan.com") == (
        "http://www.avanan.com"
    )


@pytest.mark.parametrize(
    "wrapped, original",
    [
        # Teams links as published in course notes and project docs on GitHub.
        (
            "https://statics.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html?url=https%3A%2F%2F"
            "stats.libretexts.org%2FBookshelves%2FIntroductory_Statistics%2FBook%253A_Introductory_Statistics_"
            "(OpenStax)%2F02%253A_Descriptive_Statistics",
            "https://stats.libretexts.org/Bookshelves/Introductory_Statistics/Book%3A_Introductory_Statistics_"
            "(OpenStax)/02%3A_Descriptive_Statistics",
        ),
        (
            "https://staticsint.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html?url=https%3A%2F"
            "%2Fdocs.microsoft.com%2Fen-us%2Fazure%2Fdeveloper%2Fterraform%2Fget-started-cloud-shell-bash%3Ftabs%3D"
            "bash%233-install-latest-version-of-terraform-in-azure-cloud-shell&locale=en-us&dest=https%3A%2F%2F"
            "teams.microsoft.com%2Fapi%2Fmt%2Fpart%2Fmsft%2Fbeta%2Fatpsafelinks%2Fgeturlreputationsite",
            "https://docs.microsoft.com/en-us/azure/developer/terraform/get-started-cloud-shell-bash?tabs=bash"
            "#3-install-latest-version-of-terraform-in-azure-cloud-shell",
        ),
        (
            "https://teams.public.onecdn.static.microsoft/evergreen-assets/safelinks/2/atp-safelinks.html?url="
            "https%3A%2F%2Fexample.com%2Fpath%2F&locale=en-gb",
            "https://example.com/path/",
        ),
        (
            "https://nam01.safelinks.protection.outlook.com/?url=http%3A%2F%2Fexample.com",  # ninoseki/kachi tests
            "http://example.com",
        ),
        (
            "https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fdev.azure.com%2FCONTOSO%2F40854903"
            "%2F_workitems%2Fedit%2F123456%3Fsrc%3DWorkItemMention%26src-action%3Dartifact_link&reserved=0",
            "https://dev.azure.com/CONTOSO/40854903/_workitems/edit/123456?src=WorkItemMention&src-action=artifact_link",
        ),
        (
            "https://cn01.safelinks.protection.partner.outlook.cn/?url=https%3A%2F%2Fexample.cn%2F&data=05%7C01",
            "https://example.cn/",
        ),
    ],
)
def test_published_examples_of_other_host_forms(wrapped, original):
    result = unwrap_chain(wrapped)
    assert result.url == original and result.ok


def test_input_file_safelinks_layer_reports_region_and_recipient():
    wrapped = (
        "https://eur04.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.example.org%2F&data=05%7C01"
        "%7Clayelle.saad%40majalla.com%7Ce4d298873cf0463647e808"
    )
    fields = unwrap_chain(wrapped).layers[0].fields
    assert fields["recipient"] == "layelle.saad@majalla.com" and fields["version"] == "05"


@pytest.mark.parametrize(
    "lookalike",
    [
        "https://safelinks.protection.outlook.com.evil.example/?url=https%3A%2F%2Fx.example",
        "https://evil.example/?x=safelinks.protection.outlook.com&url=https%3A%2F%2Fx.example",
        "https://evilsafelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example",
        "https://eur04.safelinks.protection.outlook.co/?url=https%3A%2F%2Fx.example",
        "https://statics.teams.cdn.office.net/other/page.html?url=https%3A%2F%2Fx.example",
        "https://outlook.office.com/mail/inbox?url=https%3A%2F%2Fx.example",
        "https://user@evil.example/safelinks.protection.outlook.com/?url=https%3A%2F%2Fx.example",
    ],
)
def test_lookalike_hosts_and_pages_are_left_untouched(lookalike):
    result = unwrap_chain(lookalike)
    assert result.url == lookalike and result.layers == ()


def test_host_is_matched_case_insensitively_and_with_a_trailing_dot():
    wrapped = "https://EUR04.SafeLinks.Protection.Outlook.com./?url=https%3A%2F%2Fexample.org%2F"
    assert unwrap(wrapped) == "https://example.org/"


def test_javascript_inside_safelinks_is_flagged():
    result = unwrap_chain(enc.wrap_safelinks("javascript:alert(1)"))
    assert result.url == "javascript:alert(1)" and "non-http(s)" in result.error


def test_safelinks_without_url_parameter_is_an_error_naming_it():
    result = unwrap_chain("https://eur04.safelinks.protection.outlook.com/?data=05%7C01")
    assert result.error == "layer 1 (safelinks): no url= carrying the wrapped URL"


def test_azure_email_published_example():
    # ninoseki/kachi tests/test_main.py
    wrapped = "https://emails.azure.microsoft.com/redirect/?destination=http%3A%2F%2Fexample.com"
    assert unwrap(wrapped, strict=True) == "http://example.com"


@pytest.mark.parametrize(
    "wrapped",
    [
        enc.wrap_azure_email(ORIGINAL),
        f"https://emails.azure.microsoft.com/redirect/?destination={enc.encode_component(ORIGINAL)}",
    ],
)
def test_azure_communication_services_email_links(wrapped):
    result = unwrap_chain(wrapped)
    assert result.url == ORIGINAL and result.kinds == ("azure-email",)
