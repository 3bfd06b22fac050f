#include "kiosk/core/identity.hpp"
#include "kiosk/core/text.hpp"

#include <gtest/gtest.h>

using kiosk::core::redact_numbers;

TEST(Text, RedactNumbersHidesIdentityAndPhoneNumbersOnly) {
    EXPECT_EQ(redact_numbers("Patient 079090001234 exists"), "Patient [number] exists");
    EXPECT_EQ(redact_numbers("phone 0912345678, card DN4790123456789"), "phone [number], card DN[number]");
    // Status codes, ports, dates and short counts stay readable for staff.
    EXPECT_EQ(redact_numbers("HTTP 503 from 127.0.0.1:8080 on 2026-11-30, 1234567 bytes"),
              "HTTP 503 from 127.0.0.1:8080 on 2026-11-30, 1234567 bytes");
    EXPECT_EQ(redact_numbers("12345678"), "[number]");
    EXPECT_EQ(redact_numbers(""), "");
}

TEST(Text, WipeEmptiesTheString) {
    std::string s = "079090001234 Nguyễn Văn An";
    kiosk::core::wipe(s);
    EXPECT_TRUE(s.empty());
    std::string empty;
    kiosk::core::wipe(empty);
    EXPECT_TRUE(empty.empty());
}

TEST(Text, WipeOfPatientDetailsLeavesNothing) {
    kiosk::core::PatientDetails d;
    d.cccd = "079090001234";
    d.full_name = "Nguyễn Văn An";
    d.birth_date = kiosk::core::LocalDate{1990, 1, 15};
    d.sex = kiosk::core::Sex::Male;
    d.phone = "0912345678";
    kiosk::core::wipe(d);
    EXPECT_EQ(d, kiosk::core::PatientDetails{});
}

TEST(Text, AsciiCaseFoldingLeavesEverythingButAsciiLettersAlone) {
    EXPECT_TRUE(kiosk::core::equal_ignoring_ascii_case("Bearer", "bEARER"));
    EXPECT_FALSE(kiosk::core::equal_ignoring_ascii_case("Bearer", "Bearers"));
    EXPECT_FALSE(kiosk::core::equal_ignoring_ascii_case("Đ", "đ")); // not ASCII: compared as bytes
    EXPECT_TRUE(kiosk::core::starts_with_ignoring_ascii_case("HTTPS://his.vn", "https://"));
    EXPECT_FALSE(kiosk::core::starts_with_ignoring_ascii_case("http", "https://"));
    EXPECT_EQ(kiosk::core::ascii_lower('['), '[');
}
