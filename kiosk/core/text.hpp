#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::core {

// Unicode NFC form of UTF-8 text (Vietnamese typed or scanned in decomposed form renders wrongly
// otherwise); nullopt when the input is not valid UTF-8.
[[nodiscard]] std::optional<std::string> to_nfc(std::string_view utf8);

} // namespace kiosk::core
