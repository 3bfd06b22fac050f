#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::core {

// Unicode NFC form of UTF-8 text (Vietnamese typed or scanned in decomposed form renders wrongly
// otherwise); nullopt when the input is not valid UTF-8.
[[nodiscard]] std::optional<std::string> to_nfc(std::string_view utf8);

// Overwrites the string's bytes (in a way the compiler may not optimise away) and empties it: personal
// data is wiped from memory, not just forgotten, when a patient's session ends.
void wipe(std::string& s);

// Text for a log line with every run of 8 or more digits (ID card, insurance and phone numbers) replaced
// by "[number]": for messages that may quote what a server said about a patient record.
[[nodiscard]] std::string redact_numbers(std::string_view text);

// ASCII-only case folding (locale-independent): for protocol tokens, header names, config keys and
// identifier values, never for Vietnamese text.
[[nodiscard]] constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
[[nodiscard]] bool equal_ignoring_ascii_case(std::string_view a, std::string_view b);
[[nodiscard]] bool starts_with_ignoring_ascii_case(std::string_view s, std::string_view prefix);

// Vietnamese text without its diacritics, for fields that must be ASCII (a VietQR purpose, a bank
// transfer's remark): "Thanh toán viện phí" -> "Thanh toan vien phi", "Đ" -> "D". Letters with no ASCII
// base are dropped; nullopt when the input is not valid UTF-8.
[[nodiscard]] std::optional<std::string> fold_to_ascii(std::string_view utf8);

} // namespace kiosk::core
