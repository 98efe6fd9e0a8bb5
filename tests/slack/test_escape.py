"""Untrusted text can never mention, link or drive a terminal once escaped."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from dagster_project.slack.escape import ZWSP, escape_mrkdwn, inline_code, one_line, plain_text, strip_controls


def test_hostile_text_is_escaped_exactly():
    assert escape_mrkdwn("<!channel> <https://x|y> @here & friends") == (
        f"&lt;!channel&gt; &lt;https:{ZWSP}//x|y&gt; @{ZWSP}here &amp; friends"
    )


def test_every_control_sequence_loses_its_angle_brackets():
    for hostile in (
        "<@U0123ABC>",
        "<#C0123ABC>",
        "<!subteam^S1|@ops>",
        "<!here>",
        "<!date^1^{date}|x>",
        "<mailto:a@b>",
    ):
        escaped = escape_mrkdwn(hostile)
        assert "<" not in escaped and ">" not in escaped, hostile


def test_broadcast_words_are_broken_in_any_case():
    escaped = escape_mrkdwn("@channel @Here @EVERYONE ＠channel email@herefordshire.example")
    assert not re.search(r"[@＠](channel|here|everyone)\b", escaped, re.IGNORECASE)
    assert "email@herefordshire.example" in escaped  # only whole words are touched


def test_bare_links_are_defanged():
    assert escape_mrkdwn("see https://evil.example/x and www.evil.example") == (
        f"see https:{ZWSP}//evil.example/x and www{ZWSP}.evil.example"
    )


def test_existing_entities_are_escaped_again_not_decoded():
    assert escape_mrkdwn("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"


def test_control_characters_and_bidi_overrides_are_dropped():
    assert strip_controls("ORD\x1b[31m-1\u202egnp.exe\x00") == "ORD[31m-1gnp.exe"
    assert strip_controls("line\nnext\tcol") == "line\nnext\tcol"


def test_inline_code_cannot_be_broken_out_of():
    assert inline_code("ORD`*bold*`\n<!here>") == "`ORDˋ*bold*ˋ &lt;!here&gt;`"
    assert inline_code(None) == "`—`"


def test_one_line_and_plain_text():
    assert one_line("  a\n\n b\t c ") == "a b c"
    assert plain_text("Rule @channel\n<x>") == f"Rule @{ZWSP}channel <x>"


@given(st.text(alphabet=st.sampled_from(list("<>&!@|#^ abcehnlortyv:/.w`\n\x1b\u202e")), max_size=60))
def test_no_escaped_text_can_open_a_control_sequence_or_broadcast(text):
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert not re.search(r"@(channel|here|everyone)\b", escaped, re.IGNORECASE)
    assert not re.search(r"\b[a-z][a-z0-9+.\-]*://", escaped, re.IGNORECASE)
    assert "\x1b" not in escaped and "\u202e" not in escaped
    # Every & starts one of the three entities: nothing is left for Slack to decode into a control character.
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", escaped, re.DOTALL)
