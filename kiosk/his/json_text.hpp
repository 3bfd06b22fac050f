#pragma once
// Reading the HIS's JSON defensively.
#include <nlohmann/json.hpp>

#include <string>

namespace kiosk::his {

// The string member `key` of a JSON object from the HIS (or its token endpoint); "" when the value is not
// an object, the member is missing or it is not a string. Never throws: a garbage reply must not take the
// kiosk down (nlohmann::json::value() throws on a member of another type).
[[nodiscard]] std::string json_text(const nlohmann::json& object, const char* key);

} // namespace kiosk::his
