#include "kiosk/ui/i18n.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace kiosk::ui {

std::string fill(std::string_view text, Placeholders values) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto open = text.find('{', i);
        const auto close = open == std::string_view::npos ? open : text.find('}', open);
        if (close == std::string_view::npos) break;
        out.append(text.substr(i, open - i));
        const std::string_view name = text.substr(open + 1, close - open - 1);
        bool known = false;
        for (const auto& [key, value] : values)
            if (key == name) {
                out += value;
                known = true;
                break;
            }
        if (!known) out.append(text.substr(open, close - open + 1)); // left as written: a test sees it
        i = close + 1;
    }
    out.append(text.substr(std::min(i, text.size())));
    return out;
}

std::vector<std::string> placeholders(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
        const auto close = text.find('}', open);
        if (close == std::string_view::npos) break;
        out.emplace_back(text.substr(open + 1, close - open - 1));
    }
    return out;
}

std::string date_text(const core::LocalDate& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02u/%02u/%04d", d.day, d.month, d.year);
    return buf;
}

Catalog Catalog::parse(std::string_view toml_text, const std::string& source) {
    toml::table table;
    try {
        table = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        throw CatalogError(source + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
    }
    Catalog c;
    for (auto&& [key, node] : table) {
        const auto line = std::to_string(node.source().begin.line);
        const auto* text = node.as_string();
        if (!text)
            throw CatalogError(source + ":" + line + ": " + std::string(key.str()) + ": must be a string");
        auto nfc = core::to_nfc(text->get());
        if (!nfc) throw CatalogError(source + ":" + line + ": " + std::string(key.str()) + ": invalid UTF-8");
        c.entries_.emplace(std::string(key.str()), std::move(*nfc));
    }
    return c;
}

Catalog Catalog::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CatalogError("cannot read string catalog " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), file.string());
}

const char* Catalog::tr(const char* key) const {
    const auto it = entries_.find(std::string_view(key));
    return it == entries_.end() ? key : it->second.c_str();
}

std::string Catalog::tr(const char* key, Placeholders values) const {
    return fill(tr(key), values);
}

Catalogs Catalogs::load(const std::filesystem::path& assets_dir) {
    return Catalogs{Catalog::load(assets_dir / "i18n" / "vi.toml"),
                    Catalog::load(assets_dir / "i18n" / "en.toml")};
}

} // namespace kiosk::ui
