#include "kiosk/ui/theme.hpp"

#include <imgui_freetype.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace kiosk::ui {
void check_font_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    char byte = 0;
    if (!in || !in.read(&byte, 1))
        throw FontError(
            "font file " + file.string() +
            " is missing or unreadable (install fonts-noto-core, or set [fonts] in the site config)");
}

float base_font_px(int screen_w, int screen_h, float ui_scale) {
    const float short_side = static_cast<float>(std::min(screen_w, screen_h));
    return std::round(std::clamp(short_side / 28.0f, 14.0f, 96.0f) * ui_scale);
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

    atlas_.Clear();
    // FreeType rasterises hinted glyphs without oversampling: a sharper and smaller atlas than stb_truetype.
    atlas_.FontBuilderIO = ImGuiFreeType::GetBuilderForFreeType();
    ImFontConfig cfg;
    cfg.OversampleH = cfg.OversampleV = 1;
    auto add = [&](const std::filesystem::path& file, float px, const ImVector<ImWchar>& ranges) {
        ImFont* f = atlas_.AddFontFromFileTTF(file.string().c_str(), px, &cfg, ranges.Data);
        if (!f) throw FontError("font file " + file.string() + " could not be loaded");
        return f;
    };
    fonts_.em = em;
    fonts_.body = add(regular, em, text_ranges_);
    fonts_.button = add(bold, std::round(em * 1.3f), text_ranges_);
    fonts_.title = add(bold, std::round(em * 1.6f), text_ranges_);
    fonts_.huge = add(bold, std::round(em * 4.5f), ascii_ranges_);
    if (!atlas_.Build()) throw FontError("font atlas could not be built from " + regular.string());
    // The renderer uploads RGBA: convert here too, so all of the atlas work can happen off the UI thread.
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    atlas_.GetTexDataAsRGBA32(&pixels, &width, &height);
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
