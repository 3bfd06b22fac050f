#include "kiosk/core/identity.hpp"

#include "kiosk/core/text.hpp"

#include <cstdint>
#include <utf8proc.h>
#include <vector>

namespace kiosk::core {

const char* problem_key(IdProblem p) {
    switch (p) {
    case IdProblem::Empty:
        return "id.problem.empty";
    case IdProblem::TooLong:
        return "id.problem.too_long";
    case IdProblem::NotText:
        return "id.problem.not_text";
    case IdProblem::NotDigits:
        return "id.problem.not_digits";
    case IdProblem::WrongLength:
        return "id.problem.wrong_length";
    case IdProblem::UnknownProvince:
        return "id.problem.unknown_province";
    case IdProblem::BadCenturySex:
        return "id.problem.bad_century_sex";
    case IdProblem::BirthYearInFuture:
        return "id.problem.birth_year_in_future";
    case IdProblem::NotCccdQr:
        return "id.problem.not_cccd_qr";
    case IdProblem::BadQrDate:
        return "id.problem.bad_qr_date";
    case IdProblem::QrDobMismatch:
        return "id.problem.qr_dob_mismatch";
    case IdProblem::QrSexMismatch:
        return "id.problem.qr_sex_mismatch";
    case IdProblem::MissingName:
        return "id.problem.missing_name";
    case IdProblem::BadBhytGroup:
        return "id.problem.bad_bhyt_group";
    case IdProblem::ScanIncomplete:
        return "id.problem.scan_incomplete";
    case IdProblem::BadBhytLevel:
        return "id.problem.bad_bhyt_level";
    case IdProblem::BadBhytProvince:
        return "id.problem.bad_bhyt_province";
    }
    return "id.problem.unknown"; // a value outside the enum: never from our parsers
}

namespace {

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view trim_ascii_space(std::string_view s) {
    while (!s.empty() && is_ascii_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back()))
        s.remove_suffix(1);
    return s;
}

bool is_control(utf8proc_int32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// Decodes valid UTF-8 into code points; false on any invalid sequence (overlong, surrogate, truncated...).
bool decode(std::string_view s, std::vector<utf8proc_int32_t>& out) {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    auto left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t c = -1;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
        if (n <= 0 || c < 0) return false;
        out.push_back(c);
        p += n;
        left -= n;
    }
    return true;
}

void append_utf8(std::string& out, utf8proc_int32_t c) {
    utf8proc_uint8_t buf[4];
    const utf8proc_ssize_t n = utf8proc_encode_char(c, buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

bool is_name_separator(utf8proc_int32_t c) {
    if (c == ' ' || is_control(c)) return true;
    const utf8proc_category_t cat = utf8proc_category(c);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

using Word = std::vector<utf8proc_int32_t>;

// The length, in code points, of the word's first user-perceived character (extended grapheme cluster).
std::size_t first_grapheme_length(const Word& w) {
    utf8proc_int32_t state = 0;
    std::size_t i = 1;
    while (i < w.size() && !utf8proc_grapheme_break_stateful(w[i - 1], w[i], &state))
        ++i;
    return i;
}

void append_initial(std::string& out, const Word& w) {
    const std::size_t n = first_grapheme_length(w);
    for (std::size_t i = 0; i < n; ++i)
        append_utf8(out, utf8proc_toupper(w[i]));
}

} // namespace

std::string mask_name(std::string_view full_name) {
    const std::optional<std::string> nfc = to_nfc(full_name);
    if (!nfc) return {};
    std::vector<utf8proc_int32_t> cps;
    if (!decode(*nfc, cps)) return {};

    std::vector<Word> words;
    Word current;
    for (const utf8proc_int32_t c : cps) {
        if (is_name_separator(c)) {
            if (!current.empty()) words.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) words.push_back(std::move(current));
    if (words.empty()) return {};

    std::string out;
    if (words.size() == 1) {
        append_initial(out, words.front());
        out += "***";
    } else {
        const Word& family = words.front();
        append_initial(out, family);
        for (std::size_t i = first_grapheme_length(family); i < family.size(); ++i)
            append_utf8(out, family[i]);
        for (std::size_t w = 1; w + 1 < words.size(); ++w) {
            out += ' ';
            append_initial(out, words[w]);
            out += "***";
        }
        out += ' ';
        append_initial(out, words.back());
    }
    // Upper-casing a precomposed letter keeps it precomposed; NFC again only guards odd combinations.
    return to_nfc(out).value_or(std::string{});
}

std::optional<std::string> normalize_phone(std::string_view text) {
    text = trim_ascii_space(text);
    if (text.empty() || text.size() > 64) return std::nullopt;
    bool plus = false;
    if (text.front() == '+') {
        plus = true;
        text.remove_prefix(1);
    }
    std::string digits;
    for (const char c : text) {
        if (c >= '0' && c <= '9') {
            digits += c;
        } else if ((c == ' ' || c == '.' || c == '-') && !digits.empty()) {
            continue; // a separator after the first digit; the last character must be a digit (below)
        } else {
            return std::nullopt;
        }
    }
    if (digits.empty() || text.back() < '0' || text.back() > '9') return std::nullopt;

    std::string national; // the 9 digits after the trunk "0"
    if (!plus && digits.size() == 10 && digits.front() == '0') {
        national = digits.substr(1);
    } else if (digits.size() >= 2 && digits.compare(0, 2, "84") == 0) {
        std::string rest = digits.substr(2);
        if (rest.size() == 10 && rest.front() == '0') rest.erase(0, 1); // "+84 0912..."
        if (rest.size() != 9) return std::nullopt;
        national = std::move(rest);
    } else {
        return std::nullopt;
    }
    if (national.size() != 9 || national.front() == '0') return std::nullopt;
    return "0" + national;
}

IdResult<std::string_view> clean_id_text(std::string_view text, std::size_t max_bytes) {
    if (text.size() > max_bytes) return IdProblem::TooLong;
    text = trim_ascii_space(text);
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.starts_with(bom)) {
        text.remove_prefix(bom.size());
        text = trim_ascii_space(text);
    }
    if (text.empty()) return IdProblem::Empty;
    std::vector<utf8proc_int32_t> cps;
    cps.reserve(text.size());
    if (!decode(text, cps)) return IdProblem::NotText;
    for (const utf8proc_int32_t c : cps) {
        if (is_control(c)) return IdProblem::NotText;
    }
    return text;
}

void wipe(PatientDetails& details) {
    for (std::string* s :
         {&details.cccd, &details.bhyt, &details.full_name, &details.address, &details.phone})
        wipe(*s);
    details = PatientDetails{};
}

const char* sex_code(Sex s) {
    switch (s) {
    case Sex::Male:
        return "male";
    case Sex::Female:
        return "female";
    case Sex::Unknown:
        break;
    }
    return "unknown";
}

std::optional<Sex> sex_from_code(std::string_view code) {
    if (code == "male") return Sex::Male;
    if (code == "female") return Sex::Female;
    if (code == "unknown") return Sex::Unknown;
    return std::nullopt;
}

} // namespace kiosk::core
