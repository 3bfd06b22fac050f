#include "kiosk/core/cccd.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace kiosk::core {
namespace {

using namespace std::string_literals;

constexpr int year = 2026;

// ---- the number --------------------------------------------------------------------------------------

TEST(CccdNumber, Valid) {
    struct Case {
        std::string in;
        std::string digits, province_code, province_name;
        Sex sex;
        int birth_year;
    };
    const Case cases[] = {
        {"079090001234", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {"001301012345", "001301012345", "001", "Hà Nội", Sex::Female, 2001},
        {"096199123456", "096199123456", "096", "Cà Mau", Sex::Female, 1999},
        {"046000000001", "046000000001", "046", "Thừa Thiên Huế", Sex::Male, 1900},
        {"077226000001", "077226000001", "077", "Bà Rịa - Vũng Tàu", Sex::Male, 2026}, // born this year
        {"079 090 001 234", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {"079.090.001.234", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {"079-090-001234", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {"079  090--001234", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {" 079090001234\r\n", "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
        {"\xEF\xBB\xBF"
         "079090001234",
         "079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        const IdResult<CccdNumber> r = parse_cccd_number(c.in, year);
        ASSERT_TRUE(r.ok()) << problem_key(r.problem());
        EXPECT_EQ(r->digits, c.digits);
        EXPECT_EQ(r->province_code, c.province_code);
        EXPECT_EQ(r->province_name, c.province_name);
        EXPECT_EQ(r->sex, c.sex);
        EXPECT_EQ(r->birth_year, c.birth_year);
    }
}

TEST(CccdNumber, Invalid) {
    struct Case {
        std::string in;
        IdProblem problem;
    };
    const Case cases[] = {
        {"", IdProblem::Empty},
        {" \r\n", IdProblem::Empty},
        {"07909000123", IdProblem::WrongLength},
        {"0790900012345", IdProblem::WrongLength},
        {"079 090 001", IdProblem::WrongLength},
        {"079090001234079090001234", IdProblem::WrongLength},
        {"07909000123a", IdProblem::NotDigits},
        {"079 090 001 23x", IdProblem::NotDigits},
        {"-079090001234", IdProblem::NotDigits},
        {"079090001234-", IdProblem::NotDigits},
        {"079_090001234", IdProblem::NotDigits},
        {"079/090/001234", IdProblem::NotDigits},
        {"０７９０９０００１２３４", IdProblem::NotDigits}, // full-width digits
        {"...", IdProblem::NotDigits},
        {"003090001234", IdProblem::UnknownProvince},
        {"000090001234", IdProblem::UnknownProvince},
        {"097090001234", IdProblem::UnknownProvince},
        {"999090001234", IdProblem::UnknownProvince},
        {"079490001234", IdProblem::BadCenturySex}, // 2190
        {"079590001234", IdProblem::BadCenturySex},
        {"079690001234", IdProblem::BadCenturySex},
        {"079890001234", IdProblem::BadCenturySex}, // 2390: 8/9 are the 2300s, not the 1800s
        {"079990001234", IdProblem::BadCenturySex},
        {"079230001234", IdProblem::BirthYearInFuture}, // 2030
        {"079327001234", IdProblem::BirthYearInFuture}, // 2027
        {"079299001234", IdProblem::BirthYearInFuture},
        {"079090\xC3\x28"
         "01234",
         IdProblem::NotText},
        {"079090001234\xE9", IdProblem::NotText}, // Latin-1
        {"079090\x00"
         "001234"s,
         IdProblem::NotText},
        {"079\t090001234", IdProblem::NotText},
        {"079090\r\n001234", IdProblem::NotText},
        {std::string(65, '0'), IdProblem::TooLong},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.in);
        const IdResult<CccdNumber> r = parse_cccd_number(c.in, year);
        ASSERT_FALSE(r.ok()) << r->digits;
        EXPECT_EQ(r.problem(), c.problem) << problem_key(r.problem());
    }
}

TEST(CccdNumber, CurrentYearDecidesTheFuture) {
    EXPECT_TRUE(parse_cccd_number("079226001234", 2026).ok());
    EXPECT_EQ(parse_cccd_number("079226001234", 2025).problem(), IdProblem::BirthYearInFuture);
    EXPECT_EQ(parse_cccd_number("079400001234", 2099).problem(), IdProblem::BadCenturySex);
    const IdResult<CccdNumber> r = parse_cccd_number("079400001234", 2100);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->birth_year, 2100);
}

TEST(CccdNumber, CenturyAndSexDigit) {
    const struct {
        char g;
        Sex sex;
        int year;
    } cases[] = {{'0', Sex::Male, 1950},   {'1', Sex::Female, 1950}, {'2', Sex::Male, 2050},
                 {'3', Sex::Female, 2050}, {'4', Sex::Male, 2150},   {'5', Sex::Female, 2150},
                 {'6', Sex::Male, 2250},   {'7', Sex::Female, 2250}, {'8', Sex::Male, 2350},
                 {'9', Sex::Female, 2350}};
    for (const auto& c : cases) {
        const std::string number = "001"s + c.g + "50123456";
        SCOPED_TRACE(number);
        const IdResult<CccdNumber> r = parse_cccd_number(number, 2399);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->sex, c.sex);
        EXPECT_EQ(r->birth_year, c.year);
    }
}

// Every code of Circular 07/2016/TT-BCA appendix I is accepted and no other.
TEST(CccdNumber, ProvinceListIsTheOfficialOne) {
    const std::vector<std::pair<std::string, std::string>> official = {
        {"001", "Hà Nội"},
        {"002", "Hà Giang"},
        {"004", "Cao Bằng"},
        {"006", "Bắc Kạn"},
        {"008", "Tuyên Quang"},
        {"010", "Lào Cai"},
        {"011", "Điện Biên"},
        {"012", "Lai Châu"},
        {"014", "Sơn La"},
        {"015", "Yên Bái"},
        {"017", "Hòa Bình"},
        {"019", "Thái Nguyên"},
        {"020", "Lạng Sơn"},
        {"022", "Quảng Ninh"},
        {"024", "Bắc Giang"},
        {"025", "Phú Thọ"},
        {"026", "Vĩnh Phúc"},
        {"027", "Bắc Ninh"},
        {"030", "Hải Dương"},
        {"031", "Hải Phòng"},
        {"033", "Hưng Yên"},
        {"034", "Thái Bình"},
        {"035", "Hà Nam"},
        {"036", "Nam Định"},
        {"037", "Ninh Bình"},
        {"038", "Thanh Hóa"},
        {"040", "Nghệ An"},
        {"042", "Hà Tĩnh"},
        {"044", "Quảng Bình"},
        {"045", "Quảng Trị"},
        {"046", "Thừa Thiên Huế"},
        {"048", "Đà Nẵng"},
        {"049", "Quảng Nam"},
        {"051", "Quảng Ngãi"},
        {"052", "Bình Định"},
        {"054", "Phú Yên"},
        {"056", "Khánh Hòa"},
        {"058", "Ninh Thuận"},
        {"060", "Bình Thuận"},
        {"062", "Kon Tum"},
        {"064", "Gia Lai"},
        {"066", "Đắk Lắk"},
        {"067", "Đắk Nông"},
        {"068", "Lâm Đồng"},
        {"070", "Bình Phước"},
        {"072", "Tây Ninh"},
        {"074", "Bình Dương"},
        {"075", "Đồng Nai"},
        {"077", "Bà Rịa - Vũng Tàu"},
        {"079", "Hồ Chí Minh"},
        {"080", "Long An"},
        {"082", "Tiền Giang"},
        {"083", "Bến Tre"},
        {"084", "Trà Vinh"},
        {"086", "Vĩnh Long"},
        {"087", "Đồng Tháp"},
        {"089", "An Giang"},
        {"091", "Kiên Giang"},
        {"092", "Cần Thơ"},
        {"093", "Hậu Giang"},
        {"094", "Sóc Trăng"},
        {"095", "Bạc Liêu"},
        {"096", "Cà Mau"},
    };
    ASSERT_EQ(official.size(), 63u);
    int accepted = 0;
    for (int p = 0; p < 1000; ++p) {
        std::string code = std::to_string(p);
        code.insert(0, 3 - code.size(), '0');
        const IdResult<CccdNumber> r = parse_cccd_number(code + "090001234", year);
        const auto it =
            std::find_if(official.begin(), official.end(), [&](const auto& e) { return e.first == code; });
        SCOPED_TRACE(code);
        if (it == official.end()) {
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.problem(), IdProblem::UnknownProvince);
        } else {
            ASSERT_TRUE(r.ok());
            EXPECT_EQ(r->province_name, it->second);
            EXPECT_EQ(to_nfc(r->province_name), r->province_name);
            ++accepted;
        }
    }
    EXPECT_EQ(accepted, 63);
}

// ---- the QR --------------------------------------------------------------------------------------------

const std::string address = "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh";
const std::string classic = "079090001234|123456789|Nguyễn Văn An|15011990|Nam|" + address + "|20042021";
// "Nguyễn Văn An" decomposed: e + circumflex + tilde, a + breve.
const std::string nfd_name = "Nguye\xCC\x82\xCC\x83n Va\xCC\x86n An";

CccdQr expected_classic() {
    CccdQr q;
    q.number = {"079090001234", "079", "Hồ Chí Minh", Sex::Male, 1990};
    q.old_id = "123456789";
    q.full_name = "Nguyễn Văn An";
    q.birth_date = {1990, 1, 15};
    q.sex = Sex::Male;
    q.address = address;
    q.issue_date = LocalDate{2021, 4, 20};
    return q;
}

TEST(CccdQr, Classic) {
    const IdResult<CccdQr> r = parse_cccd_qr(classic, year);
    ASSERT_TRUE(r.ok()) << problem_key(r.problem());
    EXPECT_EQ(r.value(), expected_classic());
}

TEST(CccdQr, AcceptedVariants) {
    struct Case {
        std::string name;
        std::string in;
        std::string old_id = "123456789";
        std::vector<std::string> extra = {};
        std::optional<LocalDate> issue = LocalDate{2021, 4, 20};
    };
    const std::string tail = "|Nguyễn Văn An|15011990|Nam|" + address + "|20042021";
    const Case cases[] = {
        {"classic", classic},
        {"empty old id", "079090001234|" + tail, ""},
        {"old id left out (6 fields)", "079090001234" + tail, ""},
        {"12-digit old id", "079090001234|012345678901" + tail, "012345678901"},
        {"trailing bar", classic + "|"},
        {"CRLF", classic + "\r\n"},
        {"LF", classic + "\n"},
        {"CR", classic + "\r"},
        {"two CRLF", classic + "\r\n\r\n"},
        {"bar and CRLF", classic + "|\r\n"},
        {"surrounding spaces", "  " + classic + " \t "},
        {"BOM", "\xEF\xBB\xBF" + classic},
        {"BOM and CRLF", "\xEF\xBB\xBF" + classic + "\r\n"},
        {"spaces around fields",
         "079090001234 | 123456789 |  Nguyễn  Văn An | 15011990 | Nam |" + address + "| 20042021"},
        {"NFD name", "079090001234|123456789|" + nfd_name + "|15011990|Nam|" + address + "|20042021"},
        {"upper-case sex", "079090001234|123456789|Nguyễn Văn An|15011990|NAM|" + address + "|20042021"},
        {"Male", "079090001234|123456789|Nguyễn Văn An|15011990|Male|" + address + "|20042021"},
        {"empty issue date",
         "079090001234|123456789|Nguyễn Văn An|15011990|Nam|" + address + "|",
         "123456789",
         {},
         std::nullopt},
        {"new card, 3 more fields",
         classic + "|Nguyễn Văn Ba|Trần Thị Cư|20042036",
         "123456789",
         {"Nguyễn Văn Ba", "Trần Thị Cư", "20042036"}},
        {"new card, 2 more fields and a trailing bar",
         classic + "|Nguyễn Văn Ba||",
         "123456789",
         {"Nguyễn Văn Ba", ""}},
        {"6 fields plus extras", "079090001234" + tail + "|x", "", {"x"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const IdResult<CccdQr> r = parse_cccd_qr(c.in, year);
        ASSERT_TRUE(r.ok()) << problem_key(r.problem());
        CccdQr want = expected_classic();
        want.old_id = c.old_id;
        want.extra_fields = c.extra;
        want.issue_date = c.issue;
        EXPECT_EQ(r.value(), want);
    }
}

TEST(CccdQr, SexSpellings) {
    struct Case {
        std::string number; // its 4th digit gives the sex
        std::string sex_field;
        Sex sex;
    };
    const std::string nfd_nu = "Nu\xCC\x9B\xCC\x83"; // "Nữ" decomposed: u + horn + tilde
    const Case cases[] = {
        {"079090001234", "Nam", Sex::Male},      {"079090001234", "nam", Sex::Male},
        {"079090001234", "NAM", Sex::Male},      {"079090001234", "male", Sex::Male},
        {"079190001234", "Nữ", Sex::Female},     {"079190001234", "NỮ", Sex::Female},
        {"079190001234", "nữ", Sex::Female},     {"079190001234", nfd_nu, Sex::Female},
        {"079190001234", "Nu", Sex::Female},     {"079190001234", "NU", Sex::Female},
        {"079190001234", "Female", Sex::Female}, {"079190001234", "FEMALE", Sex::Female},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.sex_field);
        const IdResult<CccdQr> r = parse_cccd_qr(
            c.number + "||Nguyễn An|15011990|" + c.sex_field + "|" + address + "|20042021", year);
        ASSERT_TRUE(r.ok()) << problem_key(r.problem());
        EXPECT_EQ(r->sex, c.sex);
    }
}

TEST(CccdQr, Refused) {
    struct Case {
        std::string name;
        std::string in;
        IdProblem problem;
    };
    const auto with = [](const std::string& id, const std::string& name, const std::string& dob,
                         const std::string& sex, const std::string& issue = "20042021") {
        return id + "|123456789|" + name + "|" + dob + "|" + sex + "|" + address + "|" + issue;
    };
    const std::string ok_id = "079090001234";
    const Case cases[] = {
        {"empty", "", IdProblem::Empty},
        {"only whitespace", " \r\n\t", IdProblem::Empty},
        {"only a BOM", "\xEF\xBB\xBF\r\n", IdProblem::Empty},
        {"over 2 kB", classic + "|" + std::string(2048, 'x'), IdProblem::TooLong},
        {"bad UTF-8 in the name", with(ok_id, "Nguy\xC3\x28n", "15011990", "Nam"), IdProblem::NotText},
        {"Latin-1 name", with(ok_id, "Nguy\xEAn V\xE3n An", "15011990", "Nam"), IdProblem::NotText},
        {"overlong slash", with(ok_id, "An\xC0\xAF", "15011990", "Nam"), IdProblem::NotText},
        {"3-byte overlong", with(ok_id, "An\xE0\x80\xAF", "15011990", "Nam"), IdProblem::NotText},
        {"surrogate", with(ok_id, "An\xED\xA0\x80", "15011990", "Nam"), IdProblem::NotText},
        {"control char", with(ok_id, "An\x01", "15011990", "Nam"), IdProblem::NotText},
        {"NUL", with(ok_id, "An\0B"s, "15011990", "Nam"), IdProblem::NotText},
        {"line break between fields", "079090001234|123456789|Nguyễn Văn An\r\n|15011990|Nam|x|20042021",
         IdProblem::NotText},
        {"one field", "079090001234", IdProblem::NotCccdQr},
        {"a URL", "https://example.com/a?b=c", IdProblem::NotCccdQr},
        {"5 fields", "079090001234|123456789|Nguyễn Văn An|15011990|Nam", IdProblem::NotCccdQr},
        {"6 fields with an old id (issue date missing)",
         "079090001234|123456789|Nguyễn Văn An|15011990|Nam|x", IdProblem::NotCccdQr},
        {"6 bars only", "||||||", IdProblem::NotCccdQr},
        {"2 kB of bars", std::string(2048, '|'), IdProblem::NotCccdQr},
        {"BHYT card QR", "DN4790123456789|4e677579e1bb856e2056c4836e20416e|15/01/1990|1|x|79024|01/01/2024|-",
         IdProblem::NotCccdQr},
        {"letters in the number", with("07909000123A", "An", "15011990", "Nam"), IdProblem::NotCccdQr},
        {"sex unknown", with(ok_id, "An", "15011990", "X"), IdProblem::NotCccdQr},
        {"sex empty", with(ok_id, "An", "15011990", ""), IdProblem::NotCccdQr},
        {"old id too long", "079090001234|1234567890123|An|15011990|Nam|x|20042021", IdProblem::NotCccdQr},
        {"short number", with("079090001", "An", "15011990", "Nam"), IdProblem::WrongLength},
        {"unknown province", with("003090001234", "An", "15011990", "Nam"), IdProblem::UnknownProvince},
        {"century digit", with("079490001234", "An", "15012190", "Nam"), IdProblem::BadCenturySex},
        {"born in the future", with("079230001234", "An", "15012030", "Nam"), IdProblem::BirthYearInFuture},
        {"empty name", with(ok_id, "", "15011990", "Nam"), IdProblem::MissingName},
        {"blank name", with(ok_id, "   ", "15011990", "Nam"), IdProblem::MissingName},
        {"31 February", with(ok_id, "An", "31021990", "Nam"), IdProblem::BadQrDate},
        {"29 February 1990", with(ok_id, "An", "29021990", "Nam"), IdProblem::BadQrDate},
        {"29 February 1900", with("079000001234", "An", "29021900", "Nam"), IdProblem::BadQrDate},
        {"month 13", with(ok_id, "An", "15131990", "Nam"), IdProblem::BadQrDate},
        {"day 0", with(ok_id, "An", "00011990", "Nam"), IdProblem::BadQrDate},
        {"7 digits", with(ok_id, "An", "1501199", "Nam"), IdProblem::BadQrDate},
        {"slashes", with(ok_id, "An", "15/01/1990", "Nam"), IdProblem::BadQrDate},
        {"empty birth date", with(ok_id, "An", "", "Nam"), IdProblem::BadQrDate},
        {"bad issue date", with(ok_id, "An", "15011990", "Nam", "32132021"), IdProblem::BadQrDate},
        {"birth year differs", with(ok_id, "An", "15011991", "Nam"), IdProblem::QrDobMismatch},
        {"century differs", with("079200001234", "An", "15011900", "Nam"), IdProblem::QrDobMismatch},
        {"woman's number, man's sex", with("079190001234", "An", "15011990", "Nam"),
         IdProblem::QrSexMismatch},
        {"man's number, woman's sex", with(ok_id, "An", "15011990", "Nữ"), IdProblem::QrSexMismatch},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        IdResult<CccdQr> r = CccdQr{};
        ASSERT_NO_THROW(r = parse_cccd_qr(c.in, year));
        ASSERT_FALSE(r.ok()) << r->full_name;
        EXPECT_EQ(r.problem(), c.problem) << problem_key(r.problem());
    }
}

TEST(CccdQr, LeapDayAndSizeLimit) {
    EXPECT_TRUE(parse_cccd_qr("079200001234||An|29022000|Nam|x|20042021", year).ok());
    // Exactly 2 kB is still looked at; one byte more is not.
    std::string at_limit = classic + "|";
    at_limit += std::string(2048 - at_limit.size(), 'x');
    ASSERT_EQ(at_limit.size(), 2048u);
    EXPECT_TRUE(parse_cccd_qr(at_limit, year).ok());
    EXPECT_EQ(parse_cccd_qr(at_limit + "x", year).problem(), IdProblem::TooLong);
}

TEST(CccdQr, DetailsForTheForm) {
    const IdResult<CccdQr> r = parse_cccd_qr(classic, year);
    ASSERT_TRUE(r.ok());
    const PatientDetails d = details_from_qr(r.value());
    PatientDetails want;
    want.cccd = "079090001234";
    want.full_name = "Nguyễn Văn An";
    want.birth_date = LocalDate{1990, 1, 15};
    want.sex = Sex::Male;
    want.address = address;
    EXPECT_EQ(d, want);
}

// ---- junk and fuzzing ----------------------------------------------------------------------------------

std::string random_bytes(std::mt19937& rng, std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s)
        c = static_cast<char>(rng() & 0xFF);
    return s;
}

TEST(CccdQr, TenKilobytesOfJunk) {
    std::mt19937 rng(7);
    EXPECT_EQ(parse_cccd_qr(random_bytes(rng, 10 * 1024), year).problem(), IdProblem::TooLong);
    EXPECT_EQ(parse_cccd_qr(std::string(10 * 1024, '|'), year).problem(), IdProblem::TooLong);
    EXPECT_EQ(parse_cccd_number(random_bytes(rng, 10 * 1024), year).problem(), IdProblem::TooLong);
    // Under the limit the bytes are looked at, and refused.
    for (int i = 0; i < 50; ++i) {
        const IdResult<CccdQr> r = parse_cccd_qr(random_bytes(rng, 2000), year);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.problem(), IdProblem::NotText);
    }
}

bool has_control_or_bar(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F || c == '|';
    });
}

void expect_invariants(const CccdQr& q, int current_year) {
    ASSERT_EQ(q.number.digits.size(), 12u);
    ASSERT_TRUE(std::all_of(q.number.digits.begin(), q.number.digits.end(),
                            [](char c) { return c >= '0' && c <= '9'; }));
    const IdResult<CccdNumber> again = parse_cccd_number(q.number.digits, current_year);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), q.number);
    EXPECT_LE(q.number.birth_year, current_year);
    EXPECT_EQ(q.birth_date.year, q.number.birth_year);
    EXPECT_NE(q.sex, Sex::Unknown);
    EXPECT_EQ(q.sex, q.number.sex);
    EXPECT_FALSE(q.full_name.empty());
    EXPECT_LE(q.old_id.size(), 12u);
    EXPECT_TRUE(std::all_of(q.old_id.begin(), q.old_id.end(), [](char c) { return c >= '0' && c <= '9'; }));
    std::vector<std::string> texts = {q.full_name, q.address};
    texts.insert(texts.end(), q.extra_fields.begin(), q.extra_fields.end());
    for (const std::string& t : texts) {
        EXPECT_EQ(to_nfc(t).value_or("<invalid>"), t);
        EXPECT_FALSE(has_control_or_bar(t));
        EXPECT_FALSE(t.starts_with(" ") || t.ends_with(" "));
    }
}

std::string mutate(std::mt19937& rng, std::string s) {
    static const std::string pieces[] = {"|",        "||",  "\r\n",     " ",   "\xC3",         "\x28",
                                         "\xCC\x81", "ữ",   "0",        "9",   "\xEF\xBB\xBF", "\0"s,
                                         "Nữ",       "Nam", "29022000", "\xFF"};
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
        const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
        switch (rng() % 6) {
        case 0: // flip a byte
            if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng() & 0xFF);
            break;
        case 1: // replace a digit by another digit (keeps the structure, changes meaning)
            if (!s.empty() && s[pos % s.size()] >= '0' && s[pos % s.size()] <= '9')
                s[pos % s.size()] = static_cast<char>('0' + rng() % 10);
            break;
        case 2:
            s.insert(pos, pieces[rng() % std::size(pieces)]);
            break;
        case 3:
            s.erase(pos, rng() % 8);
            break;
        case 4:
            s.resize(pos);
            break;
        default:
            s.insert(pos, std::string(rng() % 4, static_cast<char>(rng() & 0xFF)));
            break;
        }
    }
    return s;
}

TEST(CccdQr, FuzzNeverThrowsAndAcceptsOnlyConsistentCards) {
    std::mt19937 rng(20260724);
    const std::string seeds[] = {classic,
                                 "079090001234||" + nfd_name + "|15011990|Nam|" + address + "|20042021|",
                                 "001301012345|Trần Thị Bé|01012001|Nữ|Hà Nội|01012021",
                                 classic + "|Nguyễn Văn Ba|Trần Thị Cư|20042036\r\n"};
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::string in =
            i % 10 == 0 ? random_bytes(rng, rng() % 300) : mutate(rng, seeds[rng() % std::size(seeds)]);
        IdResult<CccdQr> r = IdProblem::Empty;
        ASSERT_NO_THROW(r = parse_cccd_qr(in, year));
        if (!r.ok()) {
            ++refused;
            continue;
        }
        ++accepted;
        SCOPED_TRACE(in);
        expect_invariants(r.value(), year);
        if (HasFailure()) return;
    }
    // Both branches are exercised: the mutations keep some cards valid and break others.
    EXPECT_GT(accepted, 500);
    EXPECT_GT(refused, 5000);
}

TEST(CccdNumber, FuzzNeverThrowsAndAcceptsOnlyWellFormedNumbers) {
    std::mt19937 rng(12);
    const std::string alphabet = "0123456789 .-x\xC3|";
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string in;
        const std::size_t len = rng() % 20;
        for (std::size_t k = 0; k < len; ++k)
            in += alphabet[rng() % alphabet.size()];
        if (i % 2 == 0)
            in = "0" + std::string(1, static_cast<char>('0' + rng() % 10)) + in; // plausible province
        IdResult<CccdNumber> r = IdProblem::Empty;
        ASSERT_NO_THROW(r = parse_cccd_number(in, year));
        if (!r.ok()) continue;
        ++accepted;
        SCOPED_TRACE(in);
        ASSERT_EQ(r->digits.size(), 12u);
        EXPECT_EQ(r->digits.substr(0, 3), r->province_code);
        EXPECT_FALSE(r->province_name.empty());
        EXPECT_LE(r->birth_year, year);
        EXPECT_GE(r->birth_year, 1900);
    }
    EXPECT_GT(accepted, 0);
}

} // namespace
} // namespace kiosk::core
