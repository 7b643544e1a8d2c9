"""Keyboard-wedge decoder: framing, timing fallback, GS substitute, badges, aborted frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.events import (
    KEYBOARD,
    BadgePresented,
    BarcodeScanned,
    Passthrough,
    ScanAborted,
)
from hardware.fakes import FakeScanner, feed_keys
from hardware.wedge import GS, Wedge, WedgeConfig, char_to_key, key_to_char

GS1_SCAN = "]d2010061414100001210LOT-7" + GS + "21SN0001"


def typed(outputs):
    return [o.key for o in outputs if isinstance(o, Passthrough)]


def events(outputs):
    return [o for o in outputs if not isinstance(o, Passthrough)]


# -- framing (the default) -----------------------------------------------------------------


def test_framed_scan_becomes_one_event_and_no_typing():
    """STX + data + Enter is a BarcodeScanned; none of its keys leak as typing."""
    outputs = FakeScanner().feed(Wedge(), "]C101095011015300031727123110ABC123")
    assert outputs == [BarcodeScanned("]C101095011015300031727123110ABC123", KEYBOARD)]


def test_gs_substitute_is_turned_back_into_gs():
    """The scanner sends '~' for GS; the event carries ASCII 29."""
    wedge = Wedge()
    keys = FakeScanner().keys(GS1_SCAN)
    assert "tilde" in keys and "ctrl+right_square_bracket" not in keys
    assert feed_keys(wedge, keys, 0.0, 0.004) == [BarcodeScanned(GS1_SCAN, KEYBOARD)]


def test_real_gs_from_terminal_as_ctrl_bracket_is_kept():
    """A scanner able to send GS reaches us as ctrl+]; that works too."""
    scanner = FakeScanner(WedgeConfig(gs_substitute=""))
    keys = scanner.keys(GS1_SCAN)
    assert "ctrl+right_square_bracket" in keys
    assert feed_keys(Wedge(), keys, 0.0, 0.004) == [BarcodeScanned(GS1_SCAN, KEYBOARD)]


def test_configurable_gs_substitute():
    """Another substitute character (here '^') is honoured."""
    config = WedgeConfig(gs_substitute="^")
    outputs = FakeScanner(config).feed(Wedge(config), "10A" + GS + "21B")
    assert outputs == [BarcodeScanned("10A" + GS + "21B", KEYBOARD)]


def test_unframed_typing_passes_through_at_once():
    """Outside a frame every key comes straight back, unchanged, with no delay."""
    wedge = Wedge()
    for i, key in enumerate(["h", "i", "space", "enter", "up", "ctrl+s"]):
        assert wedge.feed(key, i * 0.01) == [Passthrough(key)]
    assert not wedge.busy and wedge.next_deadline is None


def test_characters_and_textual_key_names_are_equivalent():
    """'\\x02'/'ctrl+b', '\\r'/'enter', '('/'left_parenthesis' decode the same."""
    scanner = FakeScanner()
    by_char = feed_keys(Wedge(), scanner.chars("(01)0950"), 0, 0.004)
    by_name = feed_keys(Wedge(), scanner.keys("(01)0950"), 0, 0.004)
    assert by_char == by_name == [BarcodeScanned("(01)0950", KEYBOARD)]


def test_typing_then_scan_then_typing_keeps_order():
    """Typing around a scan is returned in order, the scan in between."""
    wedge = Wedge()
    out = feed_keys(wedge, ["a", "b"], 0.0, 0.3)
    out += FakeScanner().feed(wedge, "]C110ABC", start=1.0)
    out += feed_keys(wedge, ["c"], 2.0, 0.3)
    assert out == [
        Passthrough("a"),
        Passthrough("b"),
        BarcodeScanned("]C110ABC", KEYBOARD),
        Passthrough("c"),
    ]


# -- badges --------------------------------------------------------------------------------


def test_badge_by_shape_hex_uid_is_normalised():
    """A frame holding 8/14/20 hex digits is a badge; the UID is upper-cased."""
    out = FakeScanner().feed(Wedge(), "04a1b2c3d4e5f6")
    assert out == [BadgePresented("04A1B2C3D4E5F6", KEYBOARD)]


def test_symbology_id_is_never_a_badge():
    """With an AIM symbology id, a number of badge shape is still a barcode."""
    out = FakeScanner().feed(Wedge(), "]I110614141000019")
    assert out == [BarcodeScanned("]I110614141000019", KEYBOARD)]


def test_badge_prefix_marks_a_badge_whatever_its_shape():
    """A badge reader programmed with its own opener (SOH) always gives a badge."""
    config = WedgeConfig(badge_prefix="\x01", badge_pattern="")
    wedge = Wedge(config)
    scanner = FakeScanner(config)
    assert scanner.keys("12:ab", badge=True)[0] == "ctrl+a"
    assert scanner.feed(wedge, "12:ab", badge=True) == [BadgePresented("12AB", KEYBOARD)]
    assert scanner.feed(wedge, "04A1B2C3", start=1) == [BarcodeScanned("04A1B2C3", KEYBOARD)]


def test_badge_pattern_can_be_disabled_or_changed():
    """badge_pattern '' makes every scanner frame a barcode; a custom one is used."""
    plain = WedgeConfig(badge_pattern="")
    assert FakeScanner(plain).feed(Wedge(plain), "04A1B2C3")[0] == BarcodeScanned(
        "04A1B2C3", KEYBOARD
    )
    decimal = WedgeConfig(badge_pattern=r"\d{10}")
    assert FakeScanner(decimal).feed(Wedge(decimal), "0012345678")[0] == BadgePresented(
        "0012345678", KEYBOARD
    )


def test_classify_for_text_typed_into_a_field():
    """The kiosk may classify text entered by hand the same way."""
    config = WedgeConfig()
    assert config.classify("04a1b2c3") == BadgePresented("04A1B2C3", KEYBOARD)
    assert config.classify("10A~21B") == BarcodeScanned("10A" + GS + "21B", KEYBOARD)


# -- partial and aborted frames ------------------------------------------------------------


def test_frame_timeout_found_by_poll():
    """A frame that stops mid-way is aborted when polled after frame_timeout_ms."""
    wedge = Wedge()
    assert feed_keys(wedge, ["ctrl+b", "1", "0", "A"], 0.0, 0.004) == []
    assert wedge.busy
    deadline = wedge.next_deadline
    assert deadline == pytest.approx(0.012 + 1.0)
    assert wedge.poll(deadline - 0.01) == []
    assert wedge.poll(deadline + 0.01) == [ScanAborted("10A", "the scan stopped before its end")]
    assert not wedge.busy


def test_frame_timeout_found_by_next_key_which_then_counts_as_typing():
    """Without a poll, the next (late) key aborts the stale frame and passes through."""
    wedge = Wedge()
    feed_keys(wedge, ["ctrl+b", "X"], 0.0, 0.004)
    assert wedge.feed("y", 5.0) == [
        ScanAborted("X", "the scan stopped before its end"),
        Passthrough("y"),
    ]


def test_non_character_key_aborts_frame():
    """An arrow key inside a frame cannot be scanner data: abort, then pass it on."""
    wedge = Wedge()
    feed_keys(wedge, ["ctrl+b", "1", "2"], 0.0, 0.004)
    assert wedge.feed("up", 0.02) == [ScanAborted("12", "interrupted"), Passthrough("up")]


def test_new_prefix_inside_frame_restarts_it():
    """A second STX before Enter drops the partial scan and starts a new one."""
    wedge = Wedge()
    out = feed_keys(wedge, ["ctrl+b", "1", "ctrl+b", "2", "2", "enter"], 0.0, 0.004)
    assert out == [
        ScanAborted("1", "a new scan started before the previous one ended"),
        BarcodeScanned("22", KEYBOARD),
    ]


def test_too_long_frame_is_aborted():
    """A frame longer than max_length is dropped, not delivered."""
    config = WedgeConfig(max_length=10)
    out = feed_keys(Wedge(config), ["ctrl+b", *"A" * 11], 0.0, 0.001)
    assert out == [ScanAborted("A" * 11, "the scan was too long")]


def test_empty_frame_is_aborted():
    """STX directly followed by Enter is reported as an empty scan."""
    assert feed_keys(Wedge(), ["ctrl+b", "enter"], 0.0, 0.004) == [
        ScanAborted("", "the scan was empty")
    ]


def test_reset_gives_back_what_is_held():
    """reset() aborts an open frame (for a screen change)."""
    wedge = Wedge()
    feed_keys(wedge, ["ctrl+b", "Z"], 0.0, 0.004)
    assert wedge.reset() == [ScanAborted("Z", "interrupted")]
    assert not wedge.busy


def test_multi_character_prefix_half_match_is_released_as_typing():
    """With prefix '#!', a typed '#' followed by 'a' is typing, in order."""
    config = WedgeConfig(prefix="#!")
    wedge = Wedge(config)
    assert wedge.feed("#", 0.0) == []
    assert wedge.feed("a", 0.5) == [Passthrough("#"), Passthrough("a")]
    assert wedge.feed("#", 1.0) == []
    assert wedge.poll(1.3) == [Passthrough("#")]
    assert FakeScanner(config).feed(wedge, "10B", start=2) == [BarcodeScanned("10B", KEYBOARD)]


# -- timing fallback -----------------------------------------------------------------------

TIMED = WedgeConfig(prefix="", use_timing=True, max_interkey_ms=30, min_length=4)


def test_timing_detects_fast_unframed_burst():
    """Without framing, a burst at 5 ms/key ending with Enter is a scan."""
    out = FakeScanner(TIMED).feed(Wedge(TIMED), GS1_SCAN, framed=False, interval=0.005)
    assert out == [BarcodeScanned(GS1_SCAN, KEYBOARD)]


def test_timing_passes_human_typing_through_in_order():
    """Keys 150 ms apart are typing; each is released when the next arrives or on poll."""
    wedge = Wedge(TIMED)
    out = feed_keys(wedge, ["a", "b", "c", "d", "enter"], 0.0, 0.15)
    out += wedge.poll(10.0)
    assert out == [Passthrough(k) for k in ["a", "b", "c", "d", "enter"]]


def test_timing_holds_first_key_until_deadline():
    """A single typed key waits max_interkey_ms for company, then is released by poll."""
    wedge = Wedge(TIMED)
    assert wedge.feed("x", 1.0) == []
    assert wedge.next_deadline == pytest.approx(1.03)
    assert wedge.poll(1.02) == []
    assert wedge.poll(1.04) == [Passthrough("x")]


def test_timing_short_burst_is_typing():
    """A fast burst shorter than min_length (e.g. a quick 'ok' + Enter) is typing."""
    out = feed_keys(Wedge(TIMED), ["o", "k", "enter"], 0.0, 0.005)
    assert out == [Passthrough("o"), Passthrough("k"), Passthrough("enter")]


def test_timing_burst_without_enter_is_released():
    """Fast keys never ended by Enter (key repeat) come back as typing on poll."""
    wedge = Wedge(TIMED)
    out = feed_keys(wedge, ["j"] * 6, 0.0, 0.01)
    assert out == []
    assert wedge.poll(1.0) == [Passthrough("j")] * 6


def test_framing_still_works_with_timing_on():
    """use_timing adds to framing; a framed scan is still recognised."""
    config = WedgeConfig(use_timing=True)
    assert FakeScanner(config).feed(Wedge(config), "10ABC", interval=0.05) == [
        BarcodeScanned("10ABC", KEYBOARD)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"suffix": ""}, "suffix"),
        ({"prefix": "", "use_timing": False}, "nothing would scan"),
        ({"badge_prefix": "\x02"}, "differ"),
    ],
)
def test_unworkable_configuration_is_refused(kwargs, message):
    """Settings that could never scan are refused when the station starts."""
    with pytest.raises(ValueError, match=message):
        WedgeConfig(**kwargs)


# -- properties ----------------------------------------------------------------------------

TYPING = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x02\x1d"), max_size=30)
SCAN_DATA = st.text(
    alphabet=st.characters(codec="ascii", min_codepoint=0x20, max_codepoint=0x7D).filter(
        lambda c: c != "~"
    ),
    min_size=1,
    max_size=40,
) | st.just(GS1_SCAN)


@settings(max_examples=300, deadline=None)
@given(TYPING)
def test_property_typing_without_prefix_is_returned_unchanged(text):
    """Framed mode: any typing that never contains STX comes back key for key."""
    keys = [char_to_key(c) for c in text]
    assert feed_keys(Wedge(), keys, 0.0, 0.05) == [Passthrough(k) for k in keys]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TYPING, SCAN_DATA), max_size=5), TYPING)
def test_property_scans_among_typing_are_all_found(pairs, tail):
    """Scans interleaved with typing: every scan found in order, all typing kept."""
    config = WedgeConfig(badge_pattern="")
    wedge, scanner = Wedge(config), FakeScanner(config)
    out, at, expected_typing = [], 0.0, []
    for text, data in [*pairs, (tail, None)]:
        for c in text:
            out += wedge.feed(c, at)
            expected_typing.append(c)
            at += 0.2
        if data is not None:
            out += feed_keys(wedge, scanner.chars(data), at, 0.004)
            at += 1.0
    assert events(out) == [BarcodeScanned(d, KEYBOARD) for _, d in pairs]
    assert typed(out) == expected_typing


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "a",
                    "1",
                    "~",
                    "\x02",
                    "\x01",
                    "\r",
                    "enter",
                    "up",
                    "ctrl+b",
                    "ctrl+right_square_bracket",
                    "escape",
                    "#",
                    "!",
                ]
            ),
            st.floats(min_value=0.0, max_value=0.5),
        ),
        max_size=40,
    ),
    st.sampled_from(
        [
            WedgeConfig(),
            TIMED,
            WedgeConfig(use_timing=True, badge_prefix="\x01"),
            WedgeConfig(prefix="#!"),
        ]
    ),
)
def test_property_any_key_storm_is_accounted_for(storm, config):
    """Random keys at random gaps never crash it, and once polled late nothing is held;
    no key is lost: each is typing or part of an event."""
    wedge = Wedge(config)
    out, at = [], 0.0
    for key, gap in storm:
        at += gap
        out += wedge.feed(key, at)
    out += wedge.poll(at + 60)
    assert not wedge.busy and wedge.next_deadline is None
    # Every key is typing or inside an event; an event also swallows at most its opener
    # and suffix. (The storm holds no ':' or spaces, so badge UIDs keep their length.)
    core = sum(len(getattr(e, "data", getattr(e, "uid", getattr(e, "partial", "")))) for e in out)
    framing = max(len(config.prefix), len(config.badge_prefix)) + len(config.suffix)
    passed = len(typed(out))
    assert passed + core <= len(storm) <= passed + core + framing * len(events(out))


def test_key_names_round_trip_for_printable_ascii():
    """char_to_key and key_to_char are inverse for every printable ASCII character."""
    for code in range(0x20, 0x7F):
        assert key_to_char(char_to_key(chr(code))) == chr(code)


@pytest.mark.parametrize("content", [GS, " ", ":", "\x07AB"], ids=repr)
def test_badge_frame_without_a_usable_number_is_aborted(content):
    """A badge frame holding only separators or control characters never yields an id."""
    config = WedgeConfig(badge_prefix="\x01")
    out = feed_keys(Wedge(config), ["\x01", *content, "\r"], 0.0, 0.004)
    assert out == [ScanAborted(content, "the badge reader sent no usable number")]
