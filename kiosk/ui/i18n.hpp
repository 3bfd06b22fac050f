#pragma once
// UI strings live in catalogs (assets/i18n/<lang>.toml), never in code.
#include "kiosk/ui/flow.hpp"

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kiosk::ui {

class CatalogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Catalog {
public:
    // A flat TOML table of "key" = "text"; throws CatalogError naming source and line on bad input.
    static Catalog parse(std::string_view toml_text, const std::string& source);
    static Catalog load(const std::filesystem::path& file);

    // The text for key; the key itself when missing (a test keeps catalogs complete).
    [[nodiscard]] const char* tr(const char* key) const;
    [[nodiscard]] const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }

private:
    std::map<std::string, std::string, std::less<>> entries_;
};

struct Catalogs {
    Catalog vi;
    Catalog en;
    static Catalogs load(const std::filesystem::path& assets_dir); // assets/i18n/{vi,en}.toml
    [[nodiscard]] const Catalog& of(Language l) const { return l == Language::En ? en : vi; }
};

} // namespace kiosk::ui
