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

// Dear ImGui 1.86's FreeType builder (ImFontAtlasBuildWithFreeTypeEx) renders every glyph as RGBA32 into
// scratch chunks of 256 KiB and, when a glyph does not fit in what is left of a chunk, starts a new chunk
// without checking that the glyph fits in a whole one: a glyph bitmap of more than 65,536 pixels writes
// past the end of the heap block. Every font is therefore rasterised at a size whose largest glyph (over
// the glyphs it is built with, measured from the font file) stays within this, and drawn larger by scaling
// its glyph quads (what ImGui >= 1.89 calls RasterizerDensity).
inline constexpr int kFreeTypeChunkBytes = 256 * 1024;
inline constexpr int kMaxGlyphBitmapPixels = kFreeTypeChunkBytes / 4;

// The text sizes the screens are laid out for: they need about kEmAcrossShortSide em across the short side
// of the screen (portrait: the width, with the keyboard and the header; landscape: the height, with the
// header, the greeting and two rows of buttons), so a ui_scale the screen cannot hold is clamped. Measured
// with the script's `fits` on every screen a script reaches (tests/app/kiosk_scale_e2e_test.cpp): at 25 em
// all fit in both orientations; landscape welcome needs about 25.
inline constexpr float kEmAcrossShortSide = 25.0f;

struct BaseFont {
    float px = 0;           // the body size used
    float requested_px = 0; // what ui_scale asked for
    [[nodiscard]] bool clamped() const { return px < requested_px; }
};

// Body font size for a screen: short side / 28 (readable on 1080p portrait and landscape) times ui_scale,
// at most what the layouts can hold on that screen.
[[nodiscard]] BaseFont base_font(int screen_w, int screen_h, float ui_scale);

// Throws FontError naming the file when it is missing or unreadable (checked before any window opens).
void check_font_file(const std::filesystem::path& file);

// base_font(...).px
[[nodiscard]] float base_font_px(int screen_w, int screen_h, float ui_scale);

// Each glyph's bounding box, per pixel of the size ImGui asks FreeType for (FT_SIZE_REQUEST_TYPE_REAL_DIM:
// ascender - descender), read from the font file without rasterising anything.
struct GlyphBox {
    ImWchar codepoint = 0;
    float w = 0, h = 0;
};
// Throws FontError when FreeType cannot read the file.
[[nodiscard]] std::vector<GlyphBox> glyph_boxes(const std::filesystem::path& file,
                                                const ImVector<ImWchar>& ranges);
// A generous bound on the bitmap FreeType renders for a box at px (outline rounded out to whole pixels,
// hinting moving an edge by up to a pixel): width and height.
[[nodiscard]] ImVec2 glyph_bitmap_bound(const GlyphBox& box, float px);
// The largest whole pixel size <= wanted_px at which every glyph's bitmap bound fits kMaxGlyphBitmapPixels.
[[nodiscard]] float max_raster_px(const std::vector<GlyphBox>& boxes, float wanted_px);

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
    // The size each font was rasterised at (its FontSize is the size it is drawn at), and the largest
    // glyph bitmap the builder rendered, in pixels.
    [[nodiscard]] float raster_px(const ImFont* font) const;
    [[nodiscard]] int largest_glyph_pixels() const;

private:
    ImFontAtlas atlas_;
    ImVector<ImWchar> text_ranges_;
    ImVector<ImWchar> ascii_ranges_;
    Fonts fonts_;
};

void apply_kiosk_style(ImGuiStyle& style, float em);

} // namespace kiosk::ui
