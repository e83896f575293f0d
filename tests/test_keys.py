"""One creator, one key: spellings, @-signs and profile URLs of the same person must collide."""
import pytest

from workbook_addin.core.keys import CreatorKeyError, creator_key, platform_from_url


@pytest.mark.parametrize(
    "platform, handle",
    [
        ("TikTok", "@GlowWithMia"),
        ("tiktok", "glowwithmia"),
        ("TikTok", " ＠GlowWithMia\u200b "),
        (None, "https://www.tiktok.com/@GlowWithMia?lang=en"),
        ("TikTok", "tiktok.com/@glowwithmia/video/7301234567890"),
    ],
)
def test_spellings_of_one_tiktok_creator_share_a_key(platform, handle):
    assert creator_key(platform, handle) == "tiktok:glowwithmia"


def test_instagram_profile_url_and_handle_match():
    assert creator_key("Instagram", "https://instagram.com/Lena.Style/") == creator_key("instagram", "@lena.style")


def test_youtube_handle_url_and_channel_id():
    assert creator_key(None, "https://www.youtube.com/@TechTomo") == "youtube:techtomo"
    assert creator_key("YouTube", "youtube.com/channel/UCa1B2c3") == "youtube:channel/UCa1B2c3"


def test_same_handle_on_two_platforms_is_two_creators():
    assert creator_key("TikTok", "mia") != creator_key("Instagram", "mia")


@pytest.mark.parametrize(
    "platform, handle, reason",
    [
        ("TikTok", "", "empty"),
        ("Snapchat", "mia", "unknown platform"),
        (None, "mia", "platform missing"),
        ("Instagram", "https://www.tiktok.com/@mia", "TikTok link"),
        ("Instagram", "https://www.instagram.com/p/Cx12ab/", "post"),
        ("TikTok", "mia lee!", "characters"),
    ],
)
def test_bad_handles_are_refused_with_a_reason(platform, handle, reason):
    with pytest.raises(CreatorKeyError, match=reason):
        creator_key(platform, handle)


def test_platform_from_url():
    assert platform_from_url("https://m.youtube.com/watch?v=abc") == "YouTube"
    assert platform_from_url("https://vm.tiktok.com/ZM123/") == "TikTok"
    assert platform_from_url("https://example.com/x") is None
