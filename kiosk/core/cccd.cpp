#include "kiosk/core/cccd.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utf8proc.h>

namespace kiosk::core {

namespace {

// Appendix I of Circular 07/2016/TT-BCA (kept by Circular 59/2021/TT-BCA): the province or city where the
// birth was registered. The 2025 province mergers do not renumber numbers already issued, so all 63 stay.
struct Province {
    std::string_view code;
    std::string_view name;
};
constexpr std::array<Province, 63> provinces{{
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
}};

constexpr std::size_t max_number_bytes = 64;
constexpr std::size_t max_qr_bytes = 2048;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c); });
}

std::string_view trim_spaces(std::string_view s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    return s;
}

// NFC, runs of spaces collapsed to one. The input is already known to be valid UTF-8.
std::string clean_field(std::string_view s) {
    std::string nfc = to_nfc(trim_spaces(s)).value_or(std::string{});
    std::string out;
    out.reserve(nfc.size());
    for (const char c : nfc) {
        if (c == ' ' && !out.empty() && out.back() == ' ') continue;
        out += c;
    }
    return out;
}

// "Nam"/"Nữ" in any case and normalisation form, "Nu" without its mark, "Male"/"Female".
std::optional<Sex> parse_sex(std::string_view s) {
    utf8proc_uint8_t* out = nullptr;
    const auto options =
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                            static_cast<utf8proc_ssize_t>(s.size()), &out, options);
    if (n < 0) return std::nullopt;
    const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    const std::string_view folded(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
    if (folded == "nam" || folded == "male") return Sex::Male;
    if (folded == "nữ" || folded == "nu" || folded == "female") return Sex::Female;
    return std::nullopt;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

} // namespace

IdResult<CccdNumber> parse_cccd_number(std::string_view text, int current_year) {
    const IdResult<std::string_view> cleaned = clean_id_text(text, max_number_bytes);
    if (!cleaned) return cleaned.problem();
    const std::string_view s = cleaned.value();

    std::string digits;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (is_digit(c)) {
            digits += c;
        } else if ((c == ' ' || c == '.' || c == '-') && !digits.empty() && i + 1 < s.size()) {
            continue; // between digits (clean_id_text removed the surrounding spaces)
        } else {
            return IdProblem::NotDigits;
        }
    }
    if (!is_digit(s.back())) return IdProblem::NotDigits;
    if (digits.size() != 12) return IdProblem::WrongLength;

    CccdNumber n;
    n.province_code = digits.substr(0, 3);
    const auto* province = std::find_if(provinces.begin(), provinces.end(),
                                        [&](const Province& p) { return p.code == n.province_code; });
    if (province == provinces.end()) return IdProblem::UnknownProvince;
    n.province_name = std::string(province->name);

    const int g = digits[3] - '0';
    const int century = g >= 8 ? 2300 : 1900 + 100 * (g / 2);
    if (century > current_year) return IdProblem::BadCenturySex;
    n.sex = g % 2 == 0 ? Sex::Male : Sex::Female;
    n.birth_year = century + (digits[4] - '0') * 10 + (digits[5] - '0');
    if (n.birth_year > current_year) return IdProblem::BirthYearInFuture;
    n.digits = std::move(digits);
    return n;
}

IdResult<CccdQr> parse_cccd_qr(std::string_view text, int current_year) {
    const IdResult<std::string_view> cleaned = clean_id_text(text, max_qr_bytes);
    if (!cleaned) return cleaned.problem();
    const std::string_view s = cleaned.value();

    std::vector<std::string_view> f = split(s, '|');
    // The classic layout has the old CMND number (digits, or empty) second; some cards leave the field out.
    const auto layout = [](const std::vector<std::string_view>& fields) {
        const bool with_old_id = fields.size() >= 7 && all_digits(trim_spaces(fields[1]));
        const bool without_old_id = !with_old_id && fields.size() >= 6 && !all_digits(trim_spaces(fields[1]));
        return with_old_id ? 1 : (without_old_id ? 0 : -1);
    };
    // Some readers and cards end the text with a separator; an empty last field is an empty issue date
    // only when the layout needs it.
    if (f.size() > 1 && f.back().empty()) {
        std::vector<std::string_view> shorter(f.begin(), f.end() - 1);
        if (layout(shorter) >= 0) f = std::move(shorter);
    }
    const int shape = layout(f);
    if (shape < 0) return IdProblem::NotCccdQr;
    const auto o = static_cast<std::size_t>(shape); // 1 with the old id: shift of the fields after it

    const std::string_view id_field = trim_spaces(f[0]);
    const std::string_view old_id = o == 1 ? trim_spaces(f[1]) : std::string_view{};
    const std::string_view name_field = f[1 + o];
    const std::string_view dob_field = trim_spaces(f[2 + o]);
    const std::string_view sex_field = trim_spaces(f[3 + o]);
    const std::string_view address_field = f[4 + o];
    const std::string_view issue_field = trim_spaces(f[5 + o]);

    // Not a citizen-ID QR at all (e.g. the QR of a BHYT card, whose first field is the card code).
    if (id_field.empty() ||
        !std::all_of(id_field.begin(), id_field.end(), [](char c) { return is_digit(c) || c == ' '; }))
        return IdProblem::NotCccdQr;
    if (old_id.size() > 12) return IdProblem::NotCccdQr;
    const std::optional<Sex> sex = parse_sex(sex_field);
    if (!sex) return IdProblem::NotCccdQr;

    IdResult<CccdNumber> number = parse_cccd_number(id_field, current_year);
    if (!number) return number.problem();

    CccdQr qr;
    qr.full_name = clean_field(name_field);
    if (qr.full_name.empty()) return IdProblem::MissingName;

    const std::optional<LocalDate> dob = date_from_ddmmyyyy(dob_field);
    if (!dob) return IdProblem::BadQrDate;
    if (!issue_field.empty()) {
        qr.issue_date = date_from_ddmmyyyy(issue_field);
        if (!qr.issue_date) return IdProblem::BadQrDate;
    }
    if (dob->year != number->birth_year) return IdProblem::QrDobMismatch;
    if (*sex != number->sex) return IdProblem::QrSexMismatch;

    qr.number = std::move(number.value());
    qr.old_id = std::string(old_id);
    qr.birth_date = *dob;
    qr.sex = *sex;
    qr.address = clean_field(address_field);
    for (std::size_t i = 6 + o; i < f.size(); ++i)
        qr.extra_fields.push_back(clean_field(f[i]));
    return qr;
}

PatientDetails details_from_qr(const CccdQr& qr) {
    PatientDetails d;
    d.cccd = qr.number.digits;
    d.full_name = qr.full_name;
    d.birth_date = qr.birth_date;
    d.sex = qr.sex;
    d.address = qr.address;
    return d;
}

} // namespace kiosk::core
