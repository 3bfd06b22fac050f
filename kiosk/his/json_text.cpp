#include "kiosk/his/json_text.hpp"

namespace kiosk::his {

std::string json_text(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return "";
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

} // namespace kiosk::his
