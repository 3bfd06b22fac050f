#include "kiosk/core/identity.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace kiosk::core {
namespace {

using namespace std::string_literals;

TEST(ProblemKey, EveryProblemHasItsOwnCatalogKey) {
    std::set<std::string> keys;
    for (int i = 0; i <= static_cast<int>(kLastIdProblem); ++i) {
        const std::string key = problem_key(static_cast<IdProblem>(i));
        SCOPED_TRACE(key);
        EXPECT_TRUE(key.starts_with("id.problem.")) << key;
        EXPECT_NE(key, "id.problem.unknown");
        keys.insert(key);
    }
    EXPECT_EQ(keys.size(), static_cast<std::size_t>(kLastIdProblem) + 1);
    EXPECT_STREQ(problem_key(IdProblem::WrongLength), "id.problem.wrong_length");
    EXPECT_STREQ(problem_key(IdProblem::QrSexMismatch), "id.problem.qr_sex_mismatch");
}

TEST(CleanIdText, TrimsAndRefuses) {
    struct Case {
        std::string in;
        std::string out; // when ok
        std::optional<IdProblem> problem;
    };
    const Case cases[] = {
        {"abc", "abc", std::nullopt},
        {"  abc \r\n", "abc", std::nullopt},
        {"\xEF\xBB\xBF"
         "abc",
         "abc", std::nullopt},
        {" \xEF\xBB\xBF abc\n", "abc", std::nullopt},
        {"a b", "a b", std::nullopt},
        {"", "", IdProblem::Empty},
        {" \t\r\n", "", IdProblem::Empty},
        {"\xEF\xBB\xBF", "", IdProblem::Empty},
        {"a\tb", "", IdProblem::NotText},
        {"a\x01"
         "b",
         "", IdProblem::NotText},
        {"a\x7F"
         "b",
         "", IdProblem::NotText},
        {"a\xC2\x85"
         "b",
         "", IdProblem::NotText}, // C1 control U+0085
        {"a\0b"s, "", IdProblem::NotText},
        {"\xC3\x28", "", IdProblem::NotText},         // bad continuation byte
        {"\xC0\xAF", "", IdProblem::NotText},         // overlong '/'
        {"\xE0\x80\xAF", "", IdProblem::NotText},     // overlong, 3 bytes
        {"\xED\xA0\x80", "", IdProblem::NotText},     // UTF-16 surrogate
        {"Nguy\xEAn", "", IdProblem::NotText},        // Latin-1 byte
        {"\xF4\x90\x80\x80", "", IdProblem::NotText}, // beyond U+10FFFF
        {"abc\xE1\xBB", "", IdProblem::NotText},      // truncated sequence
        {std::string(11, 'a'), "", IdProblem::TooLong},
        {std::string(11, ' '), "", IdProblem::TooLong}, // the length is checked before trimming
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        const IdResult<std::string_view> r = clean_id_text(c.in, 10);
        if (c.problem) {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.problem(), *c.problem);
        } else {
            ASSERT_TRUE(r.ok()) << problem_key(r.problem());
            EXPECT_EQ(r.value(), c.out);
        }
    }
}

// "ễ" and "Ấ" written decomposed (base letter + combining marks).
const std::string nfd_nguyen = "Nguye\xCC\x82\xCC\x83n"; // Nguyễn
const std::string nfd_an = "a\xCC\x82\xCC\x81n";         // ấn

TEST(MaskName, Table) {
    struct Case {
        std::string in;
        std::string out;
    };
    const Case cases[] = {
        {"Nguyễn Văn An", "Nguyễn V*** A"},
        {"Lê An", "Lê A"},
        {"An", "A***"},
        {"", ""},
        {"   ", ""},
        {"nguyễn văn an", "Nguyễn V*** A"},
        {"NGUYỄN VĂN AN", "NGUYỄN V*** A"},
        {"  Trần   Thị  Ngọc   Ánh ", "Trần T*** N*** Á"},
        {"đặng ích đạt", "Đặng Í*** Đ"},
        {"ưng", "Ư***"},
        {"ấn", "Ấ***"},
        {nfd_nguyen + " v\xC4\x83n " + nfd_an, "Nguyễn V*** Ấ"}, // NFD in, NFC out
        {"Lê\xC2\xA0"
         "An",
         "Lê A"}, // no-break space separates
        {"Lê\tAn\n", "Lê A"},
        {"Tôn Nữ Thị Hà", "Tôn N*** T*** H"},
        // ạ + a combining acute that does not compose: one grapheme of two code points, upper-cased whole
        {"\xE1\xBA\xA1\xCC\x81nh", "\xE1\xBA\xA0\xCC\x81***"},
        {"\xC3\x28", ""}, // not UTF-8: nothing is shown
        {"Nguy\xEAn V\xE3n", ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        EXPECT_EQ(mask_name(c.in), c.out);
    }
}

TEST(MaskName, NeverRevealsMoreThanTheFamilyNameAndInitials) {
    std::mt19937 rng(20260101);
    const std::string letters[] = {"a", "ă", "â", "đ", "ệ", "ư", "ở", "n", "h", "t", "i", "\xCC\x81"};
    for (int i = 0; i < 2000; ++i) {
        std::string name;
        const int words = 1 + static_cast<int>(rng() % 5);
        for (int w = 0; w < words; ++w) {
            if (w > 0) name += std::string(1 + rng() % 3, ' ');
            const int len = 1 + static_cast<int>(rng() % 6);
            for (int l = 0; l < len; ++l)
                name += letters[rng() % std::size(letters)];
        }
        SCOPED_TRACE(name);
        const std::string masked = mask_name(name);
        ASSERT_EQ(to_nfc(masked).value_or("<invalid>"), masked);
        // Every word but the first is cut to one character: the masked name is never longer than the
        // family name plus, per further word, a space, one character (<= 8 bytes with marks) and "***".
        const std::size_t family = name.find(' ') == std::string::npos ? name.size() : name.find(' ');
        EXPECT_LE(masked.size(), family * 2 + static_cast<std::size_t>(words) * 12);
        if (words >= 2) {
            EXPECT_NE(masked.back(), '*') << "a name of two or more words ends with the given initial";
        } else {
            EXPECT_TRUE(masked.ends_with("***"));
        }
    }
}

TEST(NormalizePhone, Table) {
    struct Case {
        std::string in;
        std::optional<std::string> out;
    };
    const Case cases[] = {
        {"0912345678", "0912345678"},
        {"0243 826 4567", std::nullopt}, // 11 digits: no Vietnamese number since 2017
        {"0243826456", "0243826456"},
        {"+84912345678", "0912345678"},
        {"84912345678", "0912345678"},
        {"+84 912 345 678", "0912345678"},
        {"+84 0912 345 678", "0912345678"}, // trunk 0 kept after the country code
        {"840912345678", "0912345678"},
        {"0912.345.678", "0912345678"},
        {"0912-345-678", "0912345678"},
        {"  0912345678\r\n", "0912345678"},
        {"", std::nullopt},
        {"   ", std::nullopt},
        {"091234567", std::nullopt},   // 9 digits
        {"09123456789", std::nullopt}, // 11 digits
        {"0012345678", std::nullopt},  // international prefix
        {"+840012345678", std::nullopt},
        {"+0912345678", std::nullopt}, // '+' without 84
        {"+8491234567", std::nullopt}, // 8 digits after 84
        {"+849123456789", std::nullopt},
        {"0912a45678", std::nullopt},
        {"0912345678-", std::nullopt},
        {"-0912345678", std::nullopt},
        {"09 12+345678", std::nullopt},
        {"０９１２３４５６７８", std::nullopt}, // full-width digits
        {"0912\xC3\x28"
         "45678",
         std::nullopt},
        {std::string(100, '0'), std::nullopt},
        {"1912345678", std::nullopt},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        EXPECT_EQ(normalize_phone(c.in), c.out);
    }
}

TEST(NormalizePhone, RandomInputGivesTenDigitsOrNothing) {
    std::mt19937 rng(84);
    const std::string alphabet = "0123456789+84 .-a\xC3";
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string s;
        const std::size_t len = rng() % 20;
        for (std::size_t k = 0; k < len; ++k)
            s += alphabet[rng() % alphabet.size()];
        const auto got = normalize_phone(s);
        if (!got) continue;
        ++accepted;
        SCOPED_TRACE(s);
        ASSERT_EQ(got->size(), 10u);
        ASSERT_EQ(got->front(), '0');
        ASSERT_NE((*got)[1], '0');
        ASSERT_TRUE(std::all_of(got->begin(), got->end(), [](char c) { return c >= '0' && c <= '9'; }));
        ASSERT_EQ(normalize_phone(*got), got); // idempotent
    }
    EXPECT_GT(accepted, 0);
}

} // namespace
} // namespace kiosk::core

TEST(Identity, SexCodesGoBothWaysAndNothingElseIsASex) {
    for (const auto s : {kiosk::core::Sex::Male, kiosk::core::Sex::Female, kiosk::core::Sex::Unknown})
        EXPECT_EQ(kiosk::core::sex_from_code(kiosk::core::sex_code(s)), s);
    EXPECT_STREQ(kiosk::core::sex_code(kiosk::core::Sex::Female), "female"); // FHIR administrative-gender
    EXPECT_EQ(kiosk::core::sex_from_code("Female"), std::nullopt);
    EXPECT_EQ(kiosk::core::sex_from_code(""), std::nullopt);
}
