#include "kiosk/core/scan_detector.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

using namespace kiosk::core;

namespace {

// A citizen-ID (CCCD) QR payload: 120 characters, 141 bytes of UTF-8.
const std::string kCccdQr =
    "079090001234|025123456|Nguyễn Văn Anh|01011990|Nam|1234 Đường Lê Lợi, Phường Bến "
    "Nghé, Quận 10, TP. Hồ Chí Minh|15082021";

// The UTF-8 characters of a string, each as its own piece.
std::vector<std::string> characters(std::string_view s) {
    std::vector<std::string> out;
    for (const char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U || out.empty()) {
            out.emplace_back(1, c);
        } else {
            out.back().push_back(c);
        }
    }
    return out;
}

// Feeds one character per event, `step` ms apart from `t`; returns the time of the last one.
std::int64_t feed(ScanDetector& d, std::string_view s, std::int64_t t, std::int64_t step) {
    std::int64_t last = t;
    for (const std::string& c : characters(s)) {
        d.text(c, t);
        last = t;
        t += step;
    }
    return last;
}

} // namespace

TEST(ScanDetectorFixture, QrPayloadIs120Characters) {
    EXPECT_EQ(characters(kCccdQr).size(), 120U);
    EXPECT_EQ(kCccdQr.size(), 141U);
}

TEST(ScanDetector, FastCharactersThenEnterAreAScan) {
    ScanDetector d;
    const std::int64_t last = feed(d, kCccdQr, 1000, 3);
    EXPECT_TRUE(d.in_burst(last + 3));
    EXPECT_EQ(d.enter(last + 3), kCccdQr);
    EXPECT_FALSE(d.in_burst(last + 3));
    // The burst is consumed.
    EXPECT_EQ(d.enter(last + 6), std::nullopt);
}

TEST(ScanDetector, ChunksAtTheSameTimestampAreAScan) {
    ScanDetector d;
    // Several characters per SDL event, all with the same timestamp, split inside no character.
    const std::vector<std::string> chars = characters(kCccdQr);
    std::int64_t t = 5000;
    std::string chunk;
    for (std::size_t i = 0; i < chars.size(); ++i) {
        chunk += chars[i];
        if (chunk.size() >= 16 || i + 1 == chars.size()) {
            d.text(chunk, t);
            chunk.clear();
            if (i % 3 == 0) t += 1; // most chunks arrive at the same ms
        }
    }
    EXPECT_EQ(d.enter(t), kCccdQr);

    // The whole payload in one event.
    d.text(kCccdQr, 9000);
    EXPECT_EQ(d.enter(9000), kCccdQr);
}

TEST(ScanDetector, PersonTypingIsNotAScan) {
    ScanDetector d;
    const std::int64_t last = feed(d, "079090001234", 0, 150);
    EXPECT_FALSE(d.in_burst(last + 150));
    EXPECT_EQ(d.enter(last + 150), std::nullopt);
}

TEST(ScanDetector, PersonTypingFastStillNeedsEveryGapShort) {
    ScanDetector d({.max_gap_ms = 60, .min_length = 9, .max_length = 4096});
    // A fast typist: 70 ms per key.
    const std::int64_t last = feed(d, "079090001234", 0, 70);
    EXPECT_EQ(d.enter(last + 40), std::nullopt);
}

TEST(ScanDetector, ShortBurstIsNotAScan) {
    ScanDetector d;
    const std::int64_t last = feed(d, "12345678", 0, 2); // 8 < min_length 9
    EXPECT_EQ(d.enter(last + 2), std::nullopt);
    const std::int64_t last9 = feed(d, "123456789", 100, 2);
    EXPECT_EQ(d.enter(last9 + 2), "123456789");
    EXPECT_EQ(d.enter(200), std::nullopt); // a lone Enter
}

TEST(ScanDetector, SlowEnterAfterAFastBurstIsNotAScan) {
    ScanDetector d;
    const std::int64_t last = feed(d, kCccdQr, 0, 3);
    EXPECT_EQ(d.enter(last + 61), std::nullopt);
    // At exactly max_gap_ms the Enter still belongs to the burst.
    const std::int64_t last2 = feed(d, kCccdQr, 10000, 3);
    EXPECT_EQ(d.enter(last2 + 60), kCccdQr);
}

TEST(ScanDetector, PauseDropsWhatCameBefore) {
    ScanDetector d;
    // A person typed "abc", then, after a pause, the scanner sent the QR.
    const std::int64_t typed = feed(d, "abc", 0, 200);
    const std::int64_t last = feed(d, kCccdQr, typed + 500, 4);
    EXPECT_EQ(d.enter(last + 4), kCccdQr);

    // A pause in the middle of a burst: only the part after the pause counts.
    const std::int64_t first = feed(d, "0790900012", 20000, 3);
    const std::int64_t second = feed(d, "34|025123456", first + 61, 3);
    EXPECT_EQ(d.enter(second + 3), "34|025123456");

    // Too short after the pause: nothing.
    const std::int64_t a = feed(d, "079090001234", 30000, 3);
    const std::int64_t b = feed(d, "1234", a + 100, 3);
    EXPECT_EQ(d.enter(b + 3), std::nullopt);
}

TEST(ScanDetector, OverflowGivesEmptyStringAndRecovers) {
    ScanDetector d({.max_gap_ms = 60, .min_length = 9, .max_length = 100});
    const std::int64_t last = feed(d, kCccdQr, 0, 2); // 120 > 100 characters
    EXPECT_TRUE(d.in_burst(last + 1));
    EXPECT_EQ(d.enter(last + 2), std::string());
    // The next scan is read normally.
    const std::int64_t next = feed(d, "079090001234|025123456", last + 1000, 2);
    EXPECT_EQ(d.enter(next + 2), "079090001234|025123456");
    // Exactly max_length characters is still a scan.
    const std::string hundred(100, '7');
    d.text(hundred, 50000);
    EXPECT_EQ(d.enter(50001), hundred);
}

TEST(ScanDetector, OverflowedBurstEndedByAPauseIsForgotten) {
    ScanDetector d({.max_gap_ms = 60, .min_length = 9, .max_length = 50});
    const std::int64_t last = feed(d, kCccdQr, 0, 2);
    const std::int64_t next = feed(d, "079090001234", last + 500, 2);
    EXPECT_EQ(d.enter(next + 2), "079090001234");
}

TEST(ScanDetector, ResetForgetsThePartialBurst) {
    ScanDetector d;
    const std::int64_t last = feed(d, kCccdQr, 0, 3);
    EXPECT_TRUE(d.in_burst(last));
    d.reset();
    EXPECT_FALSE(d.in_burst(last));
    EXPECT_EQ(d.enter(last + 3), std::nullopt);
    // Works normally afterwards.
    const std::int64_t again = feed(d, kCccdQr, last + 10, 3);
    EXPECT_EQ(d.enter(again + 3), kCccdQr);
}

TEST(ScanDetector, InBurstFollowsTheGap) {
    ScanDetector d;
    EXPECT_FALSE(d.in_burst(0));
    d.text("0", 1000);
    EXPECT_TRUE(d.in_burst(1000));
    EXPECT_TRUE(d.in_burst(1060));
    EXPECT_FALSE(d.in_burst(1061));
    d.text("7", 1030);
    EXPECT_TRUE(d.in_burst(1090));
    d.text("", 5000); // an empty event changes nothing
    EXPECT_TRUE(d.in_burst(1090));
}

TEST(ScanDetector, MinLengthCountsCharactersNotBytes) {
    ScanDetector d;
    // 8 characters, 16 bytes: not a scan.
    const std::int64_t a = feed(d, "ĐườngĐư", 0, 2);
    EXPECT_EQ(characters("ĐườngĐư").size(), 7U);
    EXPECT_EQ(d.enter(a + 2), std::nullopt);
    const std::int64_t b = feed(d, "ĐườngĐườ", 1000, 2); // 8 characters, 18 bytes
    EXPECT_EQ(d.enter(b + 2), std::nullopt);
    const std::int64_t c = feed(d, "ĐườngĐường", 2000, 2); // 10 characters
    EXPECT_EQ(d.enter(c + 2), "ĐườngĐường");

    // max_length counts characters too: 60 two-byte characters fit in 60.
    ScanDetector m({.max_gap_ms = 60, .min_length = 9, .max_length = 60});
    std::string wide;
    for (int i = 0; i < 60; ++i)
        wide += "ư";
    m.text(wide, 0);
    EXPECT_EQ(m.enter(1), wide);
    m.text(wide + "a", 10);
    EXPECT_EQ(m.enter(11), std::string());
}

TEST(ScanDetector, TenKilobytesOfFastJunk) {
    ScanDetector d;
    std::string junk;
    for (int i = 0; i < 10 * 1024; ++i)
        junk.push_back(static_cast<char>(i % 256 == 0 ? 1 : i % 256));
    std::int64_t t = 0;
    for (std::size_t i = 0; i < junk.size(); i += 7) {
        d.text(std::string_view(junk).substr(i, 7), t);
        t += 1;
    }
    EXPECT_EQ(d.enter(t), std::string());
    const std::int64_t last = feed(d, kCccdQr, t + 1000, 3);
    EXPECT_EQ(d.enter(last + 3), kCccdQr);
}

TEST(ScanDetector, ClockGoingBackwardsDoesNotBreakABurst) {
    ScanDetector d;
    d.text("0790900", 1000);
    d.text("01234", 999); // event timestamps are not strictly ordered across sources
    EXPECT_EQ(d.enter(1000), "079090001234");
}

TEST(ScanDetector, AScanCutByAGapIsUnreadableNotTwoBadScans) {
    ScanDetector d;
    const std::string head = kCccdQr.substr(0, 60);
    const std::string tail = kCccdQr.substr(60);
    std::int64_t last = feed(d, head, 1000, 3);
    EXPECT_FALSE(d.take_unreadable(last + 3)); // still within the burst: not judged yet
    // The scanner stalls (or the loop could not listen) for 200 ms, then the rest comes, fast, and Enter.
    last = feed(d, tail, last + 200, 3);
    EXPECT_FALSE(d.take_unreadable(last + 3)); // the tail is a burst of its own, still going
    // The tail is a burst of its own (the flow refuses it as no citizen-ID QR); that a scan was cut is
    // said after it, so the patient's last word is "scan again".
    EXPECT_EQ(d.enter(last + 3), tail);
    EXPECT_TRUE(d.take_unreadable(last + 3)) << "the patient must hear that the scan was not read";
    EXPECT_FALSE(d.take_unreadable(last + 4)) << "said once";
    // The next, whole scan is read as usual.
    last = feed(d, kCccdQr, last + 1000, 3);
    EXPECT_EQ(d.enter(last + 3), kCccdQr);
    EXPECT_FALSE(d.take_unreadable(last + 100));
}

TEST(ScanDetector, AScanWithoutEnterIsUnreadableOnceItsGapHasPassed) {
    ScanDetector d; // a scanner set up without its CR suffix
    const std::int64_t last = feed(d, kCccdQr, 1000, 3);
    EXPECT_TRUE(d.in_burst(last + 60));
    EXPECT_FALSE(d.take_unreadable(last + 60));
    EXPECT_EQ(d.burst_ms_left(last + 60), 1);
    EXPECT_EQ(d.burst_ms_left(last + 20), 41);
    EXPECT_TRUE(d.take_unreadable(last + 61));
    EXPECT_EQ(d.burst_ms_left(last + 61), 0);
    EXPECT_FALSE(d.take_unreadable(last + 62));
    EXPECT_EQ(d.enter(last + 70), std::nullopt) << "its text was wiped when it was judged";
}

TEST(ScanDetector, AScanWhoseEnterComesLateIsUnreadable) {
    ScanDetector d;
    const std::int64_t last = feed(d, kCccdQr, 1000, 3);
    EXPECT_EQ(d.enter(last + 200), std::nullopt);
    EXPECT_TRUE(d.take_unreadable(last + 200));
}

TEST(ScanDetector, APersonTypingOrAStrayKeyIsNeverAnUnreadableScan) {
    ScanDetector d;
    std::int64_t last = feed(d, "079090001234567890", 1000, 120);
    EXPECT_FALSE(d.take_unreadable(last + 50));
    EXPECT_EQ(d.enter(last + 50), std::nullopt);
    EXPECT_FALSE(d.take_unreadable(last + 500));
    last = feed(d, "ab", last + 1000, 3); // shorter than min_length, then silence
    EXPECT_FALSE(d.take_unreadable(last + 500));
    EXPECT_EQ(d.burst_ms_left(last + 500), 0);
}

TEST(ScanDetector, ResetForgetsAPendingUnreadableScan) {
    ScanDetector d;
    const std::int64_t last = feed(d, kCccdQr, 1000, 3);
    EXPECT_EQ(d.enter(last + 200), std::nullopt);
    d.reset(); // back to welcome: nothing of that patient lingers, not even the failed scan
    EXPECT_FALSE(d.take_unreadable(last + 300));
}
