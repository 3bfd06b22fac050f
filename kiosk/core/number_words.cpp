#include "kiosk/core/number_words.hpp"

#include <array>
#include <vector>

namespace kiosk::core {
namespace {

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

} // namespace

std::string_view digit_word_vi(unsigned digit) {
    return kViDigits.at(digit);
}
std::string_view digit_word_en(unsigned digit) {
    return kEnSmall.at(digit);
}

std::string number_in_words_vi(std::uint64_t n) {
    std::string out;
    if (n == 0) return "không";
    const std::vector<unsigned> groups = groups_of_three(n);
    bool inner = false;
    for (std::size_t i = groups.size(); i-- > 0;) {
        if (groups[i] == 0) continue;
        read_group_vi(out, groups[i], inner);
        if (!kViScales[i].empty()) add_word(out, kViScales[i]);
        inner = true;
    }
    return out;
}

std::string number_in_words_en(std::uint64_t n) {
    std::string out;
    if (n == 0) return "zero";
    const std::vector<unsigned> groups = groups_of_three(n);
    for (std::size_t i = groups.size(); i-- > 0;) {
        if (groups[i] == 0) continue;
        read_group_en(out, groups[i]);
        if (!kEnScales[i].empty()) add_word(out, kEnScales[i]);
    }
    return out;
}

} // namespace kiosk::core
