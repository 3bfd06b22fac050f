#pragma once
// Fonts and style for a touch kiosk: Noto Sans with the Vietnamese glyphs the catalogs and config need,
// sizes derived from the screen and the site's ui_scale.
#include <imgui.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiosk::ui {

class FontError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Fonts {
    ImFont* body = nullptr;   // 1 em
    ImFont* button = nullptr; // bold, 1.3 em
    ImFont* title = nullptr;  // bold, 1.6 em
    ImFont* huge = nullptr;   // bold, ticket number (ASCII only), 4.5 em
    float em = 0;             // body size in pixels
};

// Throws FontError naming the file when it is missing or unreadable (checked before any window opens).
void check_font_file(const std::filesystem::path& file);

// Body font size in pixels for a screen, so text stays readable on 1080p portrait and landscape.
[[nodiscard]] float base_font_px(int screen_w, int screen_h, float ui_scale);

// Owns the font atlas and its glyph ranges (which must outlive the atlas build). The atlas is built without
// an ImGui context, so it can be built on another thread while the window opens; the context then shares it
// (ImGui::CreateContext(font_set.atlas())).
class FontSet {
public:
    FontSet() = default;
    FontSet(const FontSet&) = delete;
    FontSet& operator=(const FontSet&) = delete;

    // Builds the atlas with glyphs for Vietnamese, '₫' and every character in `texts` (catalog strings,
    // hospital and service names). Throws FontError naming a missing/unreadable file.
    void build(const std::filesystem::path& regular, const std::filesystem::path& bold, float em,
               const std::vector<std::string>& texts);
    [[nodiscard]] ImFontAtlas* atlas() { return &atlas_; }
    [[nodiscard]] const Fonts& fonts() const { return fonts_; }

private:
    ImFontAtlas atlas_;
    ImVector<ImWchar> text_ranges_;
    ImVector<ImWchar> ascii_ranges_;
    Fonts fonts_;
};

void apply_kiosk_style(ImGuiStyle& style, float em);

} // namespace kiosk::ui
