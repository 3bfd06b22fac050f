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

std::optional<std::string> fold_to_ascii(std::string_view utf8) {
    // Decomposed with the marks stripped, "ệ" is "e"; đ/Đ have no decomposition and are mapped here.
    utf8proc_uint8_t* out = nullptr;
    const auto options =
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK);
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                            static_cast<utf8proc_ssize_t>(utf8.size()), &out, options);
    if (n < 0) return std::nullopt;
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    const std::string_view stripped(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
    std::string ascii;
    for (std::size_t i = 0; i < stripped.size();) {
        const auto c = static_cast<unsigned char>(stripped[i]);
        if (c < 0x80) {
            ascii += static_cast<char>(c);
            ++i;
            continue;
        }
        if (stripped.substr(i, 2) == "\xC4\x91")
            ascii += 'd'; // đ U+0111
        else if (stripped.substr(i, 2) == "\xC4\x90")
            ascii += 'D';    // Đ U+0110
        std::size_t len = 1; // skip the whole sequence (valid UTF-8: utf8proc checked it)
        if ((c & 0xE0U) == 0xC0U)
            len = 2;
        else if ((c & 0xF0U) == 0xE0U)
            len = 3;
        else if ((c & 0xF8U) == 0xF0U)
            len = 4;
        i += len;
    }
    return ascii;
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
