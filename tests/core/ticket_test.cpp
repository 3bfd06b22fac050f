#include "kiosk/core/text.hpp"
#include "kiosk/core/ticket.hpp"

#include <gtest/gtest.h>

using namespace kiosk::core;

namespace {
// 2026-11-24T00:30:00Z
constexpr UnixMillis kNov24_0030Z = 1795480200000;
} // namespace

TEST(LocalDate, UsesTheSiteOffsetForTheDay) {
    EXPECT_EQ(local_date(kNov24_0030Z, 0).iso(), "2026-11-24");
    EXPECT_EQ(local_date(kNov24_0030Z, 7 * 60).iso(), "2026-11-24");
    // 16:59:59Z is still the 24th in Vietnam, 17:00:00Z is the 25th.
    const UnixMillis nov24_1659Z = kNov24_0030Z + (16 * 3600 + 29 * 60 + 59) * 1000LL;
    EXPECT_EQ(local_date(nov24_1659Z, 7 * 60).iso(), "2026-11-24");
    EXPECT_EQ(local_date(nov24_1659Z + 1000, 7 * 60).iso(), "2026-11-25");
    EXPECT_EQ(local_date(kNov24_0030Z, -60).iso(), "2026-11-23");
    EXPECT_EQ(local_date(kNov24_0030Z, 7 * 60).compact(), "20261124");
}

TEST(LocalTime, FormatsHoursMinutesAndRfc3339) {
    EXPECT_EQ(local_time_hhmm(kNov24_0030Z, 7 * 60), "07:30");
    EXPECT_EQ(local_datetime_rfc3339(kNov24_0030Z + 5000, 7 * 60), "2026-11-24T07:30:05+07:00");
    EXPECT_EQ(local_datetime_rfc3339(kNov24_0030Z, -150), "2026-11-23T22:00:00-02:30");
}

TEST(Instant, ReadsFhirDateTimesWithTheirZoneAndBareDatesAtTheSiteOffset) {
    const UnixMillis t = 1'795'480'925'000; // 2026-11-24T00:42:05Z
    ASSERT_EQ(local_datetime_rfc3339(t, 420), "2026-11-24T07:42:05+07:00");
    EXPECT_EQ(instant_from_rfc3339("2026-11-24T07:42:05+07:00", 0), t);
    EXPECT_EQ(instant_from_rfc3339("2026-11-24T00:42:05Z", 420), t);
    EXPECT_EQ(instant_from_rfc3339("2026-11-23T19:42:05-05:00", 420), t);
    EXPECT_EQ(instant_from_rfc3339("2026-11-24T00:42:05.5Z", 0), t + 500);
    EXPECT_EQ(instant_from_rfc3339("2026-11-24T00:42:05.123456Z", 0), t + 123);
    // A bare date is the site's midnight: 2026-11-24T00:00+07:00.
    EXPECT_EQ(instant_from_rfc3339("2026-11-24", 420), t - (42 * 60 + 5) * 1000 - 7 * 3'600'000);
    for (const char* bad :
         {"", "2026-11", "2026-11-24T07:42:05", "2026-11-24T07:42+07:00", "2026-02-30T07:42:05Z",
          "2026-11-24T24:00:00Z", "2026-11-24T07:61:00Z", "2026-11-24T07:42:05.Z", "2026-11-24T07:42:05+7:00",
          "2026-11-24T07:42:05+07:00x", "2026-11-24 07:42:05Z", "2026-11-24T07:42:05+15:00"})
        EXPECT_FALSE(instant_from_rfc3339(bad, 0)) << bad;
}

TEST(TicketNumber, DisplayAndReference) {
    const Service svc{"KBH", "A", "Khám BHYT", "Insured examination"};
    const KioskIdentity kiosk{"BVDK-QN", "SANH-01", 'B', 420};
    EXPECT_EQ(ticket_display_number(svc, 'B', 7), "AB-007");
    EXPECT_EQ(ticket_display_number(svc, 'B', 1234), "AB-1234");
    EXPECT_EQ(ticket_reference(kiosk, svc, LocalDate{2026, 11, 24}, 23), "BVDK-QN-20261124-KBH-B023");
}

TEST(TicketNumber, KioskLettersKeepKiosksApart) {
    const Service svc{"KBH", "A", "Khám BHYT", "Insured examination"};
    KioskIdentity a{"S", "K1", 'A', 420}, b{"S", "K2", 'B', 420};
    const LocalDate day{2026, 11, 24};
    for (int seq = 1; seq <= 50; ++seq) {
        EXPECT_NE(ticket_reference(a, svc, day, seq), ticket_reference(b, svc, day, seq));
        EXPECT_NE(ticket_display_number(svc, a.kiosk_letter, seq),
                  ticket_display_number(svc, b.kiosk_letter, seq));
    }
}

TEST(Text, NormalisesToNfcAndRejectsInvalidUtf8) {
    // "Khám" with a combining acute (NFD) becomes the precomposed á.
    EXPECT_EQ(to_nfc("Kha\xcc\x81m"), std::optional<std::string>("Kh\xc3\xa1m"));
    EXPECT_EQ(to_nfc("Tiếng Việt"), std::optional<std::string>("Tiếng Việt"));
    EXPECT_FALSE(to_nfc("bad \xff\xfe bytes").has_value());
}

TEST(LocalDate, ReadsBackWhatItWrites) {
    using kiosk::core::date_from_iso;
    ASSERT_TRUE(date_from_iso("2024-02-29"));
    EXPECT_EQ(date_from_iso("2024-02-29")->iso(), "2024-02-29");
    EXPECT_FALSE(date_from_iso("2023-02-29"));
    EXPECT_FALSE(date_from_iso("2026-13-01"));
    EXPECT_FALSE(date_from_iso("2026-1-01"));
    EXPECT_FALSE(date_from_iso("20261101"));
    EXPECT_FALSE(date_from_iso("2026-11-0a"));
    EXPECT_EQ(kiosk::core::date_from_ddmmyyyy("15011990")->iso(), "1990-01-15");
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy("31041990"));
    // The one DDMMYYYY reader (the CCCD QR's dates and the keypad's birth date): year 0000 is no date.
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy("01010000"));
    EXPECT_EQ(kiosk::core::date_from_ddmmyyyy("01010001")->iso(), "0001-01-01");
    EXPECT_EQ(kiosk::core::date_from_ddmmyyyy("29022000")->iso(), "2000-02-29");
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy("29021900"));
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy("1501199"));
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy("1501199a"));
    EXPECT_FALSE(kiosk::core::date_from_ddmmyyyy(" 15011990"));
}
