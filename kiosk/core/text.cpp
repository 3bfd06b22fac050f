#include "kiosk/core/text.hpp"

#include <cstdlib>
#include <cstring> // explicit_bzero
#include <memory>
#include <utf8proc.h>

namespace kiosk::core {

std::optional<std::string> to_nfc(std::string_view utf8) {
    utf8proc_uint8_t* out = nullptr;
    const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                            static_cast<utf8proc_ssize_t>(utf8.size()), &out, options);
    if (n < 0) return std::nullopt;
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

void wipe(std::string& s) {
    s.resize(s.capacity()); // also the bytes past size() that earlier, longer contents left behind
    if (!s.empty()) explicit_bzero(s.data(), s.size());
    s.clear();
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && starts_with_ignoring_ascii_case(a, b);
}

bool starts_with_ignoring_ascii_case(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
    return true;
}

std::string redact_numbers(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = i;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9')
            ++j;
        if (j - i >= 8) {
            out += "[number]";
        } else if (j > i) {
            out.append(text.substr(i, j - i));
        } else {
            out += text[i];
            ++j;
        }
        i = j;
    }
    return out;
}

} // namespace kiosk::core
