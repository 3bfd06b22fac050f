#include "kiosk/core/bhyt.hpp"

#include "kiosk/core/cccd.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>
#include <string>

namespace kiosk::core {
namespace {

using namespace std::string_literals;

constexpr int year = 2026;

TEST(Bhyt, CardCode) {
    struct Case {
        std::string in;
        std::string code, group;
        int level;
        std::string province, social_insurance;
    };
    const Case cases[] = {
        {"DN4790123456789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"dn4790123456789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"Dn4790123456789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"DN 4 79 0123456789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"DN-4-79-0123456789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"dn4.79.012.345.6789", "DN4790123456789", "DN", 4, "79", "0123456789"},
        {"\r\nHS4010120878811 ", "HS4010120878811", "HS", 4, "01", "0120878811"},
        {"\xEF\xBB\xBF"
         "TE1790000000123",
         "TE1790000000123", "TE", 1, "79", "0000000123"},
        {"CC1990000000001", "CC1990000000001", "CC", 1, "99", "0000000001"},
        {"QN5970000000001", "QN5970000000001", "QN", 5, "97", "0000000001"},
        {"HT3010000000001", "HT3010000000001", "HT", 3, "01", "0000000001"},
        {"CK2010000000001", "CK2010000000001", "CK", 2, "01", "0000000001"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        const IdResult<BhytNumber> r = parse_bhyt_number(c.in, year);
        ASSERT_TRUE(r.ok()) << problem_key(r.problem());
        EXPECT_EQ(r->form, BhytForm::CardCode15);
        EXPECT_EQ(r->code, c.code);
        EXPECT_EQ(r->group, c.group);
        EXPECT_EQ(r->benefit_level, c.level);
        EXPECT_EQ(r->province_code, c.province);
        EXPECT_EQ(r->social_insurance, c.social_insurance);
    }
}

// The groups of Decision 1351/QĐ-BHXH (docs/identity-documents.md) are all accepted.
TEST(Bhyt, EveryKnownGroupIsAccepted) {
    const char* const groups[] = {"DN", "HX", "CH", "NN", "TK", "HC", "XK", "HT", "TB", "NO", "CT",
                                  "XB", "TN", "CS", "QN", "CA", "CY", "XN", "MS", "CC", "CK", "CB",
                                  "KC", "HD", "TE", "BT", "HN", "DT", "DK", "XD", "TS", "TC", "TQ",
                                  "TA", "TY", "TV", "HG", "LS", "PV", "CN", "HS", "SV", "GB", "GD"};
    for (const char* g : groups) {
        SCOPED_TRACE(g);
        const IdResult<BhytNumber> r = parse_bhyt_number(std::string(g) + "4790123456789", year);
        ASSERT_TRUE(r.ok()) << problem_key(r.problem());
        EXPECT_EQ(r->group, g);
    }
}

TEST(Bhyt, LevelsAndProvinces) {
    for (int level = 0; level <= 9; ++level) {
        const IdResult<BhytNumber> r = parse_bhyt_number("DN" + std::to_string(level) + "790123456789", year);
        SCOPED_TRACE(level);
        if (level >= 1 && level <= 5) {
            ASSERT_TRUE(r.ok());
            EXPECT_EQ(r->benefit_level, level);
        } else {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.problem(), IdProblem::BadBhytLevel);
        }
    }
    for (int p = 0; p <= 99; ++p) {
        const std::string code = (p < 10 ? "0" : "") + std::to_string(p);
        const IdResult<BhytNumber> r = parse_bhyt_number("DN4" + code + "0123456789", year);
        SCOPED_TRACE(code);
        if (p == 0) {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.problem(), IdProblem::BadBhytProvince);
        } else {
            ASSERT_TRUE(r.ok());
            EXPECT_EQ(r->province_code, code);
        }
    }
}

TEST(Bhyt, OtherForms) {
    IdResult<BhytNumber> r = parse_bhyt_number("0123456789", year);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->form, BhytForm::SocialInsurance10);
    EXPECT_EQ(r->code, "0123456789");
    EXPECT_EQ(r->social_insurance, "0123456789");
    EXPECT_TRUE(r->group.empty());
    EXPECT_EQ(r->benefit_level, 0);

    r = parse_bhyt_number(" 012 345 6789\n", year);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, "0123456789");

    r = parse_bhyt_number("079 090 001 234", year);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->form, BhytForm::PersonalId12);
    EXPECT_EQ(r->code, "079090001234");
    EXPECT_TRUE(r->social_insurance.empty());
    EXPECT_TRUE(r->province_code.empty());
}

TEST(Bhyt, Refused) {
    struct Case {
        std::string in;
        IdProblem problem;
    };
    const Case cases[] = {
        {"", IdProblem::Empty},
        {" \r\n", IdProblem::Empty},
        {"---", IdProblem::NotDigits},
        {"DN479012345678", IdProblem::WrongLength},
        {"DN47901234567890", IdProblem::WrongLength},
        {"DN", IdProblem::WrongLength},
        {"012345678", IdProblem::WrongLength},
        {"01234567890", IdProblem::WrongLength},
        {"0123456789012", IdProblem::WrongLength},
        {"012345678901234", IdProblem::WrongLength}, // 15 digits, no group letters
        {"ZZ4790123456789", IdProblem::BadBhytGroup},
        {"AA4790123456789", IdProblem::BadBhytGroup},
        {"DN0790123456789", IdProblem::BadBhytLevel},
        {"DN6790123456789", IdProblem::BadBhytLevel},
        {"DN4000123456789", IdProblem::BadBhytProvince},
        {"D14790123456789", IdProblem::NotDigits}, // one letter only
        {"DNA790123456789", IdProblem::NotDigits},
        {"4DN790123456789", IdProblem::NotDigits},
        {"DN47901234567A9", IdProblem::NotDigits},
        {"ĐN4790123456789", IdProblem::NotDigits}, // Vietnamese Đ is not a group letter
        {"DN4790123456789/", IdProblem::NotDigits},
        {"DN4790123456789\x01", IdProblem::NotText},
        {"DN47901\xC3\x28"
         "3456789",
         IdProblem::NotText},
        {"DN479012345678\xE9", IdProblem::NotText},
        {"DN4790\0"
         "123456789"s,
         IdProblem::NotText},
        {"003090001234", IdProblem::UnknownProvince}, // 12 digits: a CCCD number's problems
        {"079490001234", IdProblem::BadCenturySex},
        {"079230001234", IdProblem::BirthYearInFuture},
        {std::string(65, '1'), IdProblem::TooLong},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        const IdResult<BhytNumber> r = parse_bhyt_number(c.in, year);
        ASSERT_FALSE(r.ok()) << r->code;
        EXPECT_EQ(r.problem(), c.problem) << problem_key(r.problem());
    }
}

TEST(Bhyt, TenKilobytesOfJunk) {
    std::mt19937 rng(3);
    std::string junk(10 * 1024, '\0');
    for (char& c : junk)
        c = static_cast<char>(rng() & 0xFF);
    EXPECT_EQ(parse_bhyt_number(junk, year).problem(), IdProblem::TooLong);
    EXPECT_EQ(parse_bhyt_number(std::string(10 * 1024, '|'), year).problem(), IdProblem::TooLong);
}

TEST(Bhyt, FuzzNeverThrowsAndAcceptedCodesRoundTrip) {
    std::mt19937 rng(1351);
    const std::string alphabet = "0123456789DNHTEczx -.\xC3\x01|";
    const std::string seeds[] = {"DN4790123456789", "0123456789", "079090001234", "te1 79 0000000123"};
    int accepted[3] = {0, 0, 0};
    for (int i = 0; i < 20000; ++i) {
        std::string in = seeds[rng() % std::size(seeds)];
        const int edits = static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t pos = rng() % (in.size() + 1);
            if (rng() % 2 == 0 && pos < in.size())
                in[pos] = alphabet[rng() % alphabet.size()];
            else
                in.insert(pos, 1,
                          i % 7 == 0 ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()]);
        }
        IdResult<BhytNumber> r = IdProblem::Empty;
        ASSERT_NO_THROW(r = parse_bhyt_number(in, year));
        if (!r.ok()) continue;
        SCOPED_TRACE(in);
        const BhytNumber& n = r.value();
        ++accepted[static_cast<int>(n.form)];
        ASSERT_TRUE(std::all_of(n.code.begin(), n.code.end(),
                                [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }));
        switch (n.form) {
        case BhytForm::CardCode15:
            EXPECT_EQ(n.code.size(), 15u);
            EXPECT_EQ(n.code,
                      n.group + std::to_string(n.benefit_level) + n.province_code + n.social_insurance);
            EXPECT_GE(n.benefit_level, 1);
            EXPECT_LE(n.benefit_level, 5);
            EXPECT_NE(n.province_code, "00");
            break;
        case BhytForm::SocialInsurance10:
            EXPECT_EQ(n.code.size(), 10u);
            EXPECT_EQ(n.code, n.social_insurance);
            break;
        case BhytForm::PersonalId12:
            EXPECT_EQ(n.code.size(), 12u);
            EXPECT_TRUE(parse_cccd_number(n.code, year).ok());
            break;
        }
        const IdResult<BhytNumber> again = parse_bhyt_number(n.code, year);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(again.value(), n);
        if (HasFailure()) return;
    }
    EXPECT_GT(accepted[0], 100);
    EXPECT_GT(accepted[1], 100);
    EXPECT_GT(accepted[2], 100);
}

} // namespace
} // namespace kiosk::core
