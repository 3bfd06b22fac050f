#include "kiosk/ui/screen_parts.hpp"

namespace kiosk::ui {

const core::Service* find_service(const SiteView& site, const std::string& code) {
    for (const auto& s : site.services)
        if (s.code == code) return &s;
    return nullptr;
}

const char* service_name(const UiContext& ctx, const core::Service& s) {
    return ctx.flow.language == Language::En && !s.name_en.empty() ? s.name_en.c_str() : s.name_vi.c_str();
}

int current_year(const UiContext& ctx) {
    return core::local_date(ctx.now, ctx.site.utc_offset_minutes).year;
}

bool button_at(UiContext& ctx, ImVec2 pos, const std::string& id, const char* label, const char* sub,
               ImVec2 size, Tone tone, ImFont* font) {
    ImGui::SetCursorScreenPos(pos);
    return big_button(ctx.targets, id, label, sub, size, tone, font, ctx.fonts.body);
}

float text_line(ImFont* font, float x, float y, float w, const char* text, ImU32 col) {
    return centered_text(ImGui::GetWindowDrawList(), font, font->FontSize, ImVec2(x, y), w, text, col);
}

Box back_and_title(UiContext& ctx, Box area, const char* title, std::optional<Event>& out) {
    const ImVec2 back_size(ctx.em(6.0f), ctx.em(2.4f));
    if (button_at(ctx, area.min, "back", ctx.tr("common.back"), nullptr, back_size, Tone::Secondary,
                  ctx.fonts.button))
        out = ev::Back{};
    const float tx = area.min.x + back_size.x + ctx.em(1.0f);
    ImGui::GetWindowDrawList()->AddText(
        ctx.fonts.title, ctx.fonts.title->FontSize,
        ImVec2(tx, area.min.y + (back_size.y - ctx.fonts.title->FontSize) * 0.5f), kInk, title, nullptr,
        area.max.x - tx);
    return Box{ImVec2(area.min.x, area.min.y + back_size.y + ctx.em(0.8f)), area.max};
}

void button_pair(UiContext& ctx, float y, Box area, const char* left_id, const char* left_label,
                 const Event& left_event, const char* right_id, const char* right_label,
                 const Event& right_event, std::optional<Event>& out) {
    const float gap = ctx.em(1.0f);
    const ImVec2 size(std::min(ctx.em(12.0f), (area.width() - gap) * 0.5f), ctx.em(3.0f));
    const int n = (left_id ? 1 : 0) + (right_id ? 1 : 0);
    float x = area.min.x + (area.width() - size.x * static_cast<float>(n) - (n > 1 ? gap : 0.0f)) * 0.5f;
    if (left_id) {
        if (button_at(ctx, ImVec2(x, y), left_id, left_label, nullptr, size, Tone::Secondary,
                      ctx.fonts.button))
            out = left_event;
        x += size.x + gap;
    }
    if (right_id &&
        button_at(ctx, ImVec2(x, y), right_id, right_label, nullptr, size, Tone::Primary, ctx.fonts.button))
        out = right_event;
}

} // namespace kiosk::ui
