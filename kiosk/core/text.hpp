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

} // namespace kiosk::core
