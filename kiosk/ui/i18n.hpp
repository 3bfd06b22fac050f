#pragma once
// UI strings live in catalogs (assets/i18n/<lang>.toml), never in code. A sentence with values in it is
// one template with named placeholders ("Mời số {number} đến quầy {counter}"), filled by tr(key, values):
// word order differs between languages, so sentences are never spliced from fragments in code.
#include "kiosk/core/ticket.hpp"
#include "kiosk/ui/events.hpp"

#include <filesystem>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk::ui {

class CatalogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The values of a template's placeholders: {{"number", "A-002"}, {"counter", "3"}}.
using Placeholders = std::initializer_list<std::pair<std::string_view, std::string>>;

// Fills the named placeholders of a template: fill("Số {number}", {{"number", "A-001"}}) is "Số A-001". A
// placeholder without a value is left as written (a catalog test makes sure none is).
[[nodiscard]] std::string fill(std::string_view text, Placeholders values);

// The names of the placeholders in a template, in order of appearance ("{time} · {count}": time, count).
[[nodiscard]] std::vector<std::string> placeholders(std::string_view text);

// A date as the screens write it, in both languages: "15/01/1990".
[[nodiscard]] std::string date_text(const core::LocalDate& d);

class Catalog {
public:
    // A flat TOML table of "key" = "text"; throws CatalogError naming source and line on bad input.
    static Catalog parse(std::string_view toml_text, const std::string& source);
    static Catalog load(const std::filesystem::path& file);

    // The text for key; the key itself when missing (a test keeps catalogs complete).
    [[nodiscard]] const char* tr(const char* key) const;
    // The template for key with its placeholders filled: tr("ticket.wait", {{"number", "A-002"}}).
    [[nodiscard]] std::string tr(const char* key, Placeholders values) const;
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
