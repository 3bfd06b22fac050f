#include "kiosk/ui/i18n.hpp"

#include "kiosk/core/text.hpp"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace kiosk::ui {

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

Catalogs Catalogs::load(const std::filesystem::path& assets_dir) {
    return Catalogs{Catalog::load(assets_dir / "i18n" / "vi.toml"),
                    Catalog::load(assets_dir / "i18n" / "en.toml")};
}

} // namespace kiosk::ui
