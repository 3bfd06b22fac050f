#include "kiosk/ui/widgets.hpp"

#include <imgui_internal.h>
#include <qrencode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

namespace kiosk::ui {
namespace {

struct Colors {
    ImU32 fill, fill_pressed, text, sub;
};

Colors tone_colors(Tone tone) {
    switch (tone) {
    case Tone::Primary:
        return {IM_COL32(0, 94, 163, 255), IM_COL32(0, 64, 120, 255), IM_COL32_WHITE,
                IM_COL32(214, 232, 248, 255)};
    case Tone::Secondary:
        return {IM_COL32(228, 238, 247, 255), IM_COL32(196, 214, 232, 255), IM_COL32(0, 52, 94, 255),
                IM_COL32(0, 72, 130, 255)};
    case Tone::Disabled:
        return {IM_COL32(236, 236, 236, 255), IM_COL32(236, 236, 236, 255), IM_COL32(120, 120, 120, 255),
                IM_COL32(110, 80, 0, 255)};
    case Tone::Quiet:
        return {IM_COL32(255, 255, 255, 0), IM_COL32(230, 230, 230, 255), IM_COL32(0, 52, 94, 255),
                IM_COL32(90, 90, 90, 255)};
    }
    return {};
}

} // namespace

std::optional<ImVec2> TapTargets::center(const std::string& id) const {
    const TapTarget* t = find(id);
    if (!t) return std::nullopt;
    const ImVec2 a(std::max(t->min.x, t->clip_min.x), std::max(t->min.y, t->clip_min.y));
    const ImVec2 b(std::min(t->max.x, t->clip_max.x), std::min(t->max.y, t->clip_max.y));
    if (a.x >= b.x || a.y >= b.y) return std::nullopt;
    return ImVec2((a.x + b.x) * 0.5f, (a.y + b.y) * 0.5f);
}

const TapTarget* TapTargets::find(const std::string& id) const {
    const auto it = rects_.find(id);
    return it == rects_.end() ? nullptr : &it->second;
}

std::optional<std::string> TapTargets::misfit(const std::string& id, ImVec2 display, Check check) const {
    const TapTarget* t = find(id);
    if (!t) return "not drawn on this screen";
    // A list item may be scrolled out of its list: then the list itself must be on screen.
    const ImVec2 a = t->in_list ? t->clip_min : t->min;
    const ImVec2 b = t->in_list ? t->clip_max : t->max;
    auto px = [](float v) { return std::to_string(static_cast<int>(std::ceil(v))); };
    const char* what = t->in_list ? "its list" : "it";
    if (b.y > display.y + 0.5f)
        return std::string(what) + " ends " + px(b.y - display.y) + " px below the screen";
    if (b.x > display.x + 0.5f)
        return std::string(what) + " ends " + px(b.x - display.x) + " px right of the screen";
    if (a.x < -0.5f) return std::string(what) + " starts " + px(-a.x) + " px left of the screen";
    if (a.y < -0.5f) return std::string(what) + " starts " + px(-a.y) + " px above the screen";
    if (check == Check::PositionAndText && t->text_overflows)
        return std::string("its label is larger than the button");
    return std::nullopt;
}

std::vector<std::string> TapTargets::ids() const {
    std::vector<std::string> out;
    for (const auto& [id, rect] : rects_)
        out.push_back(id);
    return out;
}

void drag_scroll(DragScroll& s, float threshold_px) {
    const ImGuiIO& io = ImGui::GetIO();
    if (!s.tracking && ImGui::IsMouseClicked(ImGuiMouseButton_Left) &&
        ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows |
                               ImGuiHoveredFlags_AllowWhenBlockedByActiveItem)) {
        s = DragScroll{true, false, io.MousePos.y, ImGui::GetScrollY()};
    }
    if (!s.tracking) return;
    if (!io.MouseDown[ImGuiMouseButton_Left]) {
        s = DragScroll{};
        return;
    }
    const float dy = io.MousePos.y - s.start_mouse_y;
    if (!s.dragging && std::fabs(dy) > threshold_px) s.dragging = true;
    if (s.dragging) {
        ImGui::SetScrollY(std::clamp(s.start_scroll_y - dy, 0.0f, ImGui::GetScrollMaxY()));
        ImGui::ClearActiveID(); // the finger is scrolling, not pressing the button it started on
    }
}

float centered_text(ImDrawList* dl, ImFont* font, float size, ImVec2 top_left, float width, const char* text,
                    ImU32 color, float* widest) {
    if (widest) *widest = 0;
    const char* p = text;
    const char* end = text + std::strlen(text);
    float y = top_left.y;
    const float scale = size / font->FontSize;
    while (p < end) {
        const char* line_end = font->CalcWordWrapPositionA(scale, p, end, width);
        if (line_end == p) line_end = p + 1; // never loop on a glyph wider than the box
        const char* nl =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(line_end - p)));
        if (nl) line_end = nl;
        const ImVec2 sz = font->CalcTextSizeA(size, FLT_MAX, 0.0f, p, line_end);
        if (widest) *widest = std::max(*widest, sz.x);
        if (dl) dl->AddText(font, size, ImVec2(top_left.x + (width - sz.x) * 0.5f, y), color, p, line_end);
        y += size * 1.15f;
        p = line_end;
        while (p < end && (*p == ' ' || *p == '\n'))
            ++p;
    }
    return y - top_left.y;
}

bool big_button(TapTargets& targets, const std::string& id, const char* label, const char* sublabel,
                ImVec2 size, Tone tone, ImFont* font, ImFont* small_font) {
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const bool clicked = ImGui::InvisibleButton(id.c_str(), size) && tone != Tone::Disabled;
    const bool held = ImGui::IsItemActive() && tone != Tone::Disabled;
    const ImVec2 max(pos.x + size.x, pos.y + size.y);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // Only the part inside the window's clip rectangle is a tap target (lists scroll under it).
    TapTarget target{pos, max, dl->GetClipRectMin(), dl->GetClipRectMax()};
    target.in_list = (ImGui::GetCurrentWindow()->Flags & ImGuiWindowFlags_ChildWindow) != 0;

    const Colors c = tone_colors(tone);
    const float em = small_font->FontSize;
    dl->AddRectFilled(pos, max, held ? c.fill_pressed : c.fill, em * 0.5f);
    if (tone == Tone::Secondary || tone == Tone::Disabled) {
        const float stroke = std::max(1.0f, em * 0.06f);
        const float in = stroke * 0.5f; // keep the whole stroke inside the button (and its clip rect)
        dl->AddRect(ImVec2(pos.x + in, pos.y + in), ImVec2(max.x - in, max.y - in),
                    IM_COL32(160, 180, 200, 255), em * 0.5f, 0, stroke);
    }

    const float pad = em * 0.6f;
    const float inner_w = size.x - 2 * pad;
    float label_w = 0, sub_w = 0;
    const float label_h = centered_text(nullptr, font, font->FontSize, {}, inner_w, label, 0, &label_w);
    const float sub_h = sublabel ? centered_text(nullptr, small_font, small_font->FontSize, {}, inner_w,
                                                 sublabel, 0, &sub_w) +
                                       em * 0.2f
                                 : 0;
    // Text taller than the button below its top padding, or a word wider than the button, spills out.
    target.text_overflows = pad + label_h + sub_h > size.y + 1.0f || std::max(label_w, sub_w) > size.x + 1.0f;
    targets.add(id, target);
    float y = pos.y + std::max(pad, (size.y - label_h - sub_h) * 0.5f);
    y += centered_text(dl, font, font->FontSize, ImVec2(pos.x + pad, y), inner_w, label, c.text);
    if (sublabel)
        centered_text(dl, small_font, small_font->FontSize, ImVec2(pos.x + pad, y + em * 0.2f), inner_w,
                      sublabel, c.sub);
    return clicked;
}

std::optional<QrCode> QrCode::encode(std::string_view text) {
    const std::string s(text);
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M),
                                                         &QRcode_free);
    if (!code) return std::nullopt;
    QrCode out;
    out.width = code->width;
    out.dark.resize(static_cast<std::size_t>(code->width * code->width));
    for (std::size_t i = 0; i < out.dark.size(); ++i)
        out.dark[i] = code->data[i] & 1u;
    return out;
}

void draw_qr(ImDrawList* dl, const QrCode& qr, ImVec2 top_left, float side) {
    constexpr int quiet = 4;
    const int total = qr.width + 2 * quiet;
    // Whole pixels per module keep the code crisp for scanners.
    const float module = std::max(1.0f, std::floor(side / static_cast<float>(total)));
    const float drawn = module * static_cast<float>(total);
    const ImVec2 origin(std::floor(top_left.x + (side - drawn) * 0.5f),
                        std::floor(top_left.y + (side - drawn) * 0.5f));
    dl->AddRectFilled(origin, ImVec2(origin.x + drawn, origin.y + drawn), IM_COL32_WHITE);
    for (int y = 0; y < qr.width; ++y)
        for (int x = 0; x < qr.width; ++x)
            if (qr.dark[static_cast<std::size_t>(y * qr.width + x)]) {
                const ImVec2 a(origin.x + static_cast<float>(x + quiet) * module,
                               origin.y + static_cast<float>(y + quiet) * module);
                dl->AddRectFilled(a, ImVec2(a.x + module, a.y + module), IM_COL32_BLACK);
            }
}

} // namespace kiosk::ui
