#include "kiosk/core/money.hpp"
#include "kiosk/core/number_words.hpp"

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

std::string capitalised(std::string s) { // the words of a number all start with an ASCII letter
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
    std::string words = number_in_words_vi(magnitude(dong));
    return dong < 0 ? "Âm " + words + " đồng" : capitalised(words + " đồng");
}

std::string vnd_in_words_en(std::int64_t dong) {
    std::string words = number_in_words_en(magnitude(dong));
    return capitalised((dong < 0 ? "minus " : "") + words + " dong");
}

} // namespace kiosk::core
