#include "kiosk/core/bhyt.hpp"

#include "kiosk/core/cccd.hpp"

#include <algorithm>
#include <array>

namespace kiosk::core {

namespace {

// Beneficiary group codes (the first two letters of the card code), as of Decision 1351/QĐ-BHXH (2015) and
// its later amendments; see docs/identity-documents.md. A code missing here refuses real cards, so the
// list errs on the side of accepting: add new codes at the end.
constexpr auto groups = std::to_array<std::string_view>(
    {// paid by employee and employer
     "DN", "HX", "CH", "NN", "TK", "HC", "XK",
     // paid by Vietnam Social Security
     "HT", "TB", "NO", "CT", "XB", "TN", "CS",
     // paid by the state budget
     "QN", "CA", "CY", "XN", "MS", "CC", "CK", "CB", "KC", "HD", "TE", "BT", "HN", "DT", "DK", "XD", "TS",
     "TC", "TQ", "TA", "TY", "TV", "HG", "LS", "PV",
     // part-subsidised by the state budget
     "CN", "HS", "SV", "GB",
     // households
     "GD",
     // seen in lists used by hospital software but not in the 2015 decision; accepted rather than refuse
     // cards
     "OK", "TL", "XV", "GK", "CD", "ND", "QT"});

constexpr std::size_t max_number_bytes = 64;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_ascii_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

} // namespace

IdResult<BhytNumber> parse_bhyt_number(std::string_view text, int current_year) {
    const IdResult<std::string_view> cleaned = clean_id_text(text, max_number_bytes);
    if (!cleaned) return cleaned.problem();
    const std::string_view s = cleaned.value();

    std::string code; // upper case, separators removed
    bool has_letter = false;
    for (const char c : s) {
        if (c == ' ' || c == '.' || c == '-') continue;
        if (is_digit(c)) {
            code += c;
        } else if (is_ascii_letter(c)) {
            has_letter = true;
            code += static_cast<char>(c >= 'a' ? c - ('a' - 'A') : c);
        } else {
            return IdProblem::NotDigits;
        }
    }
    if (code.empty()) return IdProblem::NotDigits; // only separators

    BhytNumber n;
    if (!has_letter) {
        if (code.size() == 10) {
            n.form = BhytForm::SocialInsurance10;
            n.social_insurance = code;
            n.code = std::move(code);
            return n;
        }
        if (code.size() == 12) {
            IdResult<CccdNumber> cccd = parse_cccd_number(code, current_year);
            if (!cccd) return cccd.problem();
            n.form = BhytForm::PersonalId12;
            n.code = std::move(code);
            return n;
        }
        return IdProblem::WrongLength;
    }

    if (code.size() != 15) return IdProblem::WrongLength;
    if (!is_ascii_letter(code[0]) || !is_ascii_letter(code[1]) ||
        !std::all_of(code.begin() + 2, code.end(), is_digit))
        return IdProblem::NotDigits;

    n.form = BhytForm::CardCode15;
    n.group = code.substr(0, 2);
    if (std::find(groups.begin(), groups.end(), n.group) == groups.end()) return IdProblem::BadBhytGroup;
    n.benefit_level = code[2] - '0';
    if (n.benefit_level < 1 || n.benefit_level > 5) return IdProblem::BadBhytLevel;
    n.province_code = code.substr(3, 2);
    if (n.province_code == "00") return IdProblem::BadBhytProvince;
    n.social_insurance = code.substr(5);
    n.code = std::move(code);
    return n;
}

} // namespace kiosk::core
