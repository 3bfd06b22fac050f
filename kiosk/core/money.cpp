#include "kiosk/core/money.hpp"

#include <array>
#include <string_view>
#include <vector>

namespace kiosk::core {
namespace {

// The magnitude as unsigned, so the most negative amount has one too.
std::uint64_t magnitude(std::int64_t v) {
    return v < 0 ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
}

std::string grouped(std::int64_t dong, char separator) {
    const std::string digits = std::to_string(magnitude(dong));
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
        out += digits[i];
    }
    return dong < 0 ? "-" + out : out;
}

std::vector<unsigned> groups_of_three(std::uint64_t v) { // least significant first
    std::vector<unsigned> g;
    do {
        g.push_back(static_cast<unsigned>(v % 1000));
        v /= 1000;
    } while (v > 0);
    return g;
}

void add_word(std::string& out, std::string_view word) {
    if (!out.empty()) out += ' ';
    out += word;
}

constexpr std::array<std::string_view, 10> kViDigits{"không", "một", "hai", "ba",  "bốn",
                                                     "năm",   "sáu", "bảy", "tám", "chín"};

// One group of three digits; `inner` when a higher group was read before it, so its zero hundreds and
// zero tens are spoken ("một nghìn không trăm linh năm").
void read_group_vi(std::string& out, unsigned group, bool inner) {
    const unsigned h = group / 100, t = group / 10 % 10, u = group % 10;
    const bool hundreds = inner || h > 0;
    if (hundreds) {
        add_word(out, kViDigits[h]);
        add_word(out, "trăm");
    }
    if (t == 0) {
        if (u != 0 && hundreds) add_word(out, "linh");
    } else if (t == 1) {
        add_word(out, "mười");
    } else {
        add_word(out, kViDigits[t]);
        add_word(out, "mươi");
    }
    if (u == 0) return;
    if (u == 1 && t >= 2)
        add_word(out, "mốt");
    else if (u == 5 && t >= 1)
        add_word(out, "lăm");
    else
        add_word(out, kViDigits[u]);
}

constexpr std::array<std::string_view, 7> kViScales{"",         "nghìn",    "triệu", "tỷ",
                                                    "nghìn tỷ", "triệu tỷ", "tỷ tỷ"};

constexpr std::array<std::string_view, 20> kEnSmall{
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kEnTens{"",      "",      "twenty",  "thirty", "forty",
                                                   "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 7> kEnScales{"",         "thousand",    "million",    "billion",
                                                    "trillion", "quadrillion", "quintillion"};

void read_group_en(std::string& out, unsigned group) {
    const unsigned h = group / 100, rest = group % 100;
    if (h > 0) {
        add_word(out, kEnSmall[h]);
        add_word(out, "hundred");
    }
    if (rest == 0) return;
    if (rest < 20) {
        add_word(out, kEnSmall[rest]);
    } else {
        std::string tens(kEnTens[rest / 10]);
        if (rest % 10 != 0) tens += "-" + std::string(kEnSmall[rest % 10]);
        add_word(out, tens);
    }
}

std::string capitalised(std::string s) { // every first word above starts with an ASCII letter
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

} // namespace

std::string format_vnd_vi(std::int64_t dong) {
    return grouped(dong, '.') + " đ";
}
std::string format_vnd_en(std::int64_t dong) {
    return "VND " + grouped(dong, ',');
}

std::string vnd_in_words_vi(std::int64_t dong) {
    std::string out = dong < 0 ? "Âm" : "";
    const std::vector<unsigned> groups = groups_of_three(magnitude(dong));
    if (magnitude(dong) == 0) add_word(out, "không");
    bool inner = false;
    for (std::size_t i = groups.size(); i-- > 0;) {
        if (groups[i] == 0) continue;
        read_group_vi(out, groups[i], inner);
        if (!kViScales[i].empty()) add_word(out, kViScales[i]);
        inner = true;
    }
    add_word(out, "đồng");
    return capitalised(out);
}

std::string vnd_in_words_en(std::int64_t dong) {
    std::string out = dong < 0 ? "minus" : "";
    const std::vector<unsigned> groups = groups_of_three(magnitude(dong));
    if (magnitude(dong) == 0) add_word(out, "zero");
    for (std::size_t i = groups.size(); i-- > 0;) {
        if (groups[i] == 0) continue;
        read_group_en(out, groups[i]);
        if (!kEnScales[i].empty()) add_word(out, kEnScales[i]);
    }
    add_word(out, "dong");
    return capitalised(out);
}

} // namespace kiosk::core
