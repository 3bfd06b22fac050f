#include "kiosk/ui/theme.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include <imgui_freetype.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

namespace kiosk::ui {
void check_font_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    char byte = 0;
    if (!in || !in.read(&byte, 1))
        throw FontError(
            "font file " + file.string() +
            " is missing or unreadable (install fonts-noto-core, or set [fonts] in the site config)");
}

BaseFont base_font(int screen_w, int screen_h, float ui_scale) {
    const float short_side = static_cast<float>(std::min(screen_w, screen_h));
    BaseFont f;
    f.requested_px = std::round(std::clamp(short_side / 28.0f, 14.0f, 96.0f) * ui_scale);
    f.px = std::min(f.requested_px, std::max(14.0f, std::floor(short_side / kEmAcrossShortSide)));
    return f;
}

float base_font_px(int screen_w, int screen_h, float ui_scale) {
    return base_font(screen_w, screen_h, ui_scale).px;
}

std::vector<GlyphBox> glyph_boxes(const std::filesystem::path& file, const ImVector<ImWchar>& ranges) {
    FT_Library lib = nullptr;
    if (FT_Init_FreeType(&lib) != 0) throw FontError("FreeType could not be initialised");
    std::unique_ptr<FT_LibraryRec_, decltype(&FT_Done_FreeType)> lib_owner(lib, &FT_Done_FreeType);
    FT_Face face = nullptr;
    if (FT_New_Face(lib, file.string().c_str(), 0, &face) != 0)
        throw FontError("font file " + file.string() + " could not be loaded");
    std::unique_ptr<FT_FaceRec_, decltype(&FT_Done_Face)> face_owner(face, &FT_Done_Face);
    // ImGui 1.86 requests FT_SIZE_REQUEST_TYPE_REAL_DIM: the pixel size is ascender - descender.
    const float units_per_px = static_cast<float>(face->ascender - face->descender);
    std::vector<GlyphBox> out;
    if (units_per_px <= 0) return out;
    for (int i = 0; i + 1 < ranges.Size && ranges[i] != 0; i += 2)
        for (unsigned c = ranges[i]; c <= ranges[i + 1]; ++c) {
            const FT_UInt index = FT_Get_Char_Index(face, c);
            if (index == 0) continue; // ImGui skips what the font lacks too
            if (FT_Load_Glyph(face, index, FT_LOAD_NO_SCALE) != 0 ||
                face->glyph->format != FT_GLYPH_FORMAT_OUTLINE)
                continue;
            FT_BBox box{};
            FT_Outline_Get_CBox(&face->glyph->outline, &box); // the control box holds the outline
            out.push_back(GlyphBox{static_cast<ImWchar>(c),
                                   static_cast<float>(box.xMax - box.xMin) / units_per_px,
                                   static_cast<float>(box.yMax - box.yMin) / units_per_px});
        }
    return out;
}

ImVec2 glyph_bitmap_bound(const GlyphBox& box, float px) {
    // Rounding the outline out to whole pixels adds up to 1 px per dimension, hinting (FT_LOAD_TARGET_NORMAL)
    // moves an edge by up to a pixel more on each side.
    return ImVec2(std::ceil(box.w * px) + 3.0f, std::ceil(box.h * px) + 3.0f);
}

float max_raster_px(const std::vector<GlyphBox>& boxes, float wanted_px) {
    float px = std::floor(wanted_px);
    auto fits = [&](float p) {
        for (const GlyphBox& b : boxes) {
            const ImVec2 bm = glyph_bitmap_bound(b, p);
            if (bm.x * bm.y > static_cast<float>(kMaxGlyphBitmapPixels)) return false;
        }
        return true;
    };
    while (px > 1 && !fits(px))
        --px;
    return px;
}

void FontSet::build(const std::filesystem::path& regular, const std::filesystem::path& bold, float em,
                    const std::vector<std::string>& texts) {
    check_font_file(regular);
    check_font_file(bold);

    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(atlas_.GetGlyphRangesVietnamese());
    builder.AddChar(0x20AB); // ₫ (not in ImGui's Vietnamese ranges)
    builder.AddChar(0x2026); // …
    for (const auto& t : texts)
        builder.AddText(t.c_str(), t.c_str() + t.size());
    text_ranges_.clear();
    builder.BuildRanges(&text_ranges_);

    static const ImWchar ascii[] = {0x0020, 0x007E, 0};
    ascii_ranges_.clear();
    for (const ImWchar c : ascii)
        ascii_ranges_.push_back(c);

    // The largest size each font can be rasterised at, from its glyphs' boxes (the huge font has only
    // ASCII, so its own, smaller, set decides).
    const std::vector<GlyphBox> regular_boxes = glyph_boxes(regular, text_ranges_);
    const std::vector<GlyphBox> bold_boxes = glyph_boxes(bold, text_ranges_);
    std::vector<GlyphBox> ascii_boxes;
    for (const GlyphBox& b : bold_boxes)
        if (b.codepoint >= ascii[0] && b.codepoint <= ascii[1]) ascii_boxes.push_back(b);

    atlas_.Clear();
    // FreeType rasterises hinted glyphs without oversampling: a sharper and smaller atlas than stb_truetype.
    atlas_.FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
    ImFontConfig cfg;
    cfg.OversampleH = cfg.OversampleV = 1;
    struct Added {
        ImFont* font;
        float drawn_px, raster_px;
    };
    std::vector<Added> added;
    auto add = [&](const std::filesystem::path& file, float px, const ImVector<ImWchar>& ranges,
                   const std::vector<GlyphBox>& boxes) {
        const float raster = max_raster_px(boxes, px);
        ImFont* f = atlas_.AddFontFromFileTTF(file.string().c_str(), raster, &cfg, ranges.Data);
        if (!f) throw FontError("font file " + file.string() + " could not be loaded");
        added.push_back(Added{f, px, raster});
        return f;
    };
    fonts_.em = em;
    fonts_.body = add(regular, em, text_ranges_, regular_boxes);
    fonts_.button = add(bold, std::round(em * 1.3f), text_ranges_, bold_boxes);
    fonts_.title = add(bold, std::round(em * 1.6f), text_ranges_, bold_boxes);
    fonts_.huge = add(bold, std::round(em * 4.5f), ascii_ranges_, ascii_boxes);
    if (!atlas_.Build()) throw FontError("font atlas could not be built from " + regular.string());
    // A font rasterised smaller than it is drawn: scale its glyph quads and metrics, so every caller
    // (AddText with font->FontSize, CalcTextSizeA, word wrap) sees the drawn size; the UVs stay.
    for (const Added& a : added) {
        if (a.raster_px >= a.drawn_px) continue;
        const float k = a.drawn_px / a.raster_px;
        ImFont* f = a.font;
        for (ImFontGlyph& g : f->Glyphs) {
            g.X0 *= k;
            g.Y0 *= k;
            g.X1 *= k;
            g.Y1 *= k;
            g.AdvanceX *= k;
        }
        f->FontSize = a.drawn_px;
        f->Ascent *= k;
        f->Descent *= k;
        f->BuildLookupTable(); // advances, fallback and ellipsis widths from the scaled glyphs
    }
    // The renderer uploads RGBA: convert here too, so all of the atlas work can happen off the UI thread.
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    atlas_.GetTexDataAsRGBA32(&pixels, &width, &height);
}

float FontSet::raster_px(const ImFont* font) const {
    return font && font->ConfigData ? font->ConfigData->SizePixels : 0.0f;
}

int FontSet::largest_glyph_pixels() const {
    int largest = 0;
    for (const ImFont* f : atlas_.Fonts)
        for (const ImFontGlyph& g : f->Glyphs) {
            const int w = static_cast<int>(std::lround((g.U1 - g.U0) * static_cast<float>(atlas_.TexWidth)));
            const int h = static_cast<int>(std::lround((g.V1 - g.V0) * static_cast<float>(atlas_.TexHeight)));
            largest = std::max(largest, w * h);
        }
    return largest;
}

void apply_kiosk_style(ImGuiStyle& style, float em) {
    style = ImGuiStyle();
    ImGui::StyleColorsLight(&style);
    style.WindowPadding = ImVec2(em, em);
    style.ItemSpacing = ImVec2(em * 0.6f, em * 0.6f);
    style.FramePadding = ImVec2(em * 0.5f, em * 0.35f);
    style.WindowBorderSize = 0;
    style.ChildBorderSize = 0;
    style.ScrollbarSize = em * 0.5f;
    style.ScrollbarRounding = em * 0.25f;
    style.FrameRounding = em * 0.3f;
    // The renderer clears to the background colour (kBackground); a root window painted over it would make a
    // software renderer blend every pixel of the screen once more each frame.
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 0);
    style.Colors[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
    style.Colors[ImGuiCol_Text] = ImVec4(0.08f, 0.12f, 0.18f, 1.0f);
    style.Colors[ImGuiCol_TextDisabled] = ImVec4(0.38f, 0.42f, 0.48f, 1.0f);
}

} // namespace kiosk::ui
