// The registration screens: the form, one field's editor (Telex keyboard or keypad), storing, failure.
#include "kiosk/ui/screen_parts.hpp"

#include <algorithm>
#include <cstdio>

namespace kiosk::ui {
namespace {

void register_form(UiContext& ctx, Box area, std::optional<Event>& out) {
    area = back_and_title(ctx, area, ctx.tr("register.title"), out);
    float y = area.min.y;
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr("register.hint"), kMuted);
    y += ctx.em(0.4f);
    const core::PatientDetails& d = ctx.flow.registration().draft;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    static constexpr Field fields[] = {Field::FullName, Field::BirthDate, Field::Cccd,
                                       Field::Bhyt,     Field::Phone,     Field::Address};
    const float submit_h = ctx.em(3.0f);
    const float sex_h = ctx.em(2.6f);
    // Two columns of three fields on a wide screen, one column of six on a tall one.
    const int cols = area.width() > area.height() * 1.2f ? 2 : 1;
    const int rows = 6 / cols;
    const float col_gap = ctx.em(1.0f);
    const float col_w = (area.width() - col_gap * static_cast<float>(cols - 1)) / static_cast<float>(cols);
    const float rows_h = area.max.y - y - submit_h - sex_h - ctx.em(3.4f);
    const float row_h = std::clamp(rows_h / static_cast<float>(rows), ctx.em(2.4f), ctx.em(3.4f));
    const float top = y;
    for (int i = 0; i < 6; ++i) {
        const Field f = fields[i];
        char key[48];
        std::snprintf(key, sizeof key, "field.%s", field_name(f));
        const std::string id = std::string("field.") + field_name(f);
        const float x0 = area.min.x + static_cast<float>(i / rows) * (col_w + col_gap);
        const float y0 = top + static_cast<float>(i % rows) * row_h;
        const ImVec2 a(x0, y0), b(x0 + col_w, y0 + row_h - ctx.em(0.3f));
        ImGui::SetCursorScreenPos(a);
        if (ImGui::InvisibleButton(id.c_str(), ImVec2(b.x - a.x, b.y - a.y))) out = ev::EditField{f};
        ctx.targets.add(id, a, b);
        const bool wrong = ctx.flow.registration().draft_problem_field == f;
        dl->AddRectFilled(a, b, ImGui::IsItemActive() ? IM_COL32(214, 228, 242, 255) : IM_COL32_WHITE,
                          ctx.em(0.3f));
        dl->AddRect(a, b, wrong ? kWarn : IM_COL32(180, 196, 214, 255), ctx.em(0.3f), 0,
                    wrong ? ctx.em(0.12f) : std::max(1.0f, ctx.em(0.05f)));
        const float ty = a.y + (b.y - a.y - ctx.fonts.button->FontSize) * 0.5f;
        dl->AddText(ctx.fonts.body, ctx.fonts.body->FontSize, ImVec2(a.x + ctx.em(0.6f), ty + ctx.em(0.2f)),
                    kMuted, ctx.tr(key));
        const float vx = a.x + std::min(ctx.em(9.0f), col_w * 0.3f);
        const std::string value = field_value(d, f);
        dl->PushClipRect(ImVec2(vx, a.y), ImVec2(b.x - ctx.em(0.5f), b.y), true);
        dl->AddText(ctx.fonts.button, ctx.fonts.button->FontSize, ImVec2(vx, ty),
                    value.empty() ? kMuted : kInk,
                    value.empty() ? ctx.tr("register.tap_to_enter") : value.c_str());
        dl->PopClipRect();
    }
    y = top + static_cast<float>(rows) * row_h;
    // Sex: two toggles.
    const float sw = std::min(ctx.em(9.0f), (area.width() - ctx.em(10.0f)) * 0.5f);
    dl->AddText(ctx.fonts.body, ctx.fonts.body->FontSize,
                ImVec2(area.min.x + ctx.em(0.6f), y + (sex_h - ctx.fonts.body->FontSize) * 0.5f), kMuted,
                ctx.tr("field.sex"));
    const float sx = area.min.x + std::min(ctx.em(9.0f), area.width() * 0.3f);
    if (button_at(ctx, ImVec2(sx, y), "sex.male", ctx.tr("sex.male"), nullptr, ImVec2(sw, sex_h),
                  d.sex == core::Sex::Male ? Tone::Primary : Tone::Secondary, ctx.fonts.button))
        out = ev::SetSex{core::Sex::Male};
    if (button_at(ctx, ImVec2(sx + sw + ctx.em(0.6f), y), "sex.female", ctx.tr("sex.female"), nullptr,
                  ImVec2(sw, sex_h), d.sex == core::Sex::Female ? Tone::Primary : Tone::Secondary,
                  ctx.fonts.button))
        out = ev::SetSex{core::Sex::Female};
    y += sex_h + ctx.em(0.5f);
    if (ctx.flow.registration().draft_problem_field) {
        char key[64];
        std::snprintf(key, sizeof key, "register.problem.%s",
                      field_name(*ctx.flow.registration().draft_problem_field));
        const char* text = ctx.flow.registration().draft_problem
                               ? problem_text(ctx, *ctx.flow.registration().draft_problem)
                               : ctx.tr(key);
        y += text_line(ctx.fonts.button, area.min.x, y, area.width(), text, kWarn);
    }
    const ImVec2 size(std::min(area.width(), ctx.em(16.0f)), submit_h);
    if (button_at(ctx, ImVec2(area.min.x + (area.width() - size.x) * 0.5f, std::max(y, area.max.y - size.y)),
                  "register.submit", ctx.tr("register.submit"), nullptr, size, Tone::Primary,
                  ctx.fonts.title))
        out = ev::SubmitRegistration{current_year(ctx)};
}

void edit_field(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.registration().editor) return;
    const FieldEditor& ed = *ctx.flow.registration().editor;
    char key[48];
    std::snprintf(key, sizeof key, "field.%s", field_name(ed.field));
    area = back_and_title(ctx, area, ctx.tr(key), out);
    float y = area.min.y;
    const bool numeric = field_is_numeric(ed.field);
    std::string shown;
    if (ed.field == Field::BirthDate) {
        // DD/MM/YYYY filled in as the digits come.
        static const char mask[] = "DD/MM/YYYY";
        std::size_t di = 0;
        for (const char* p = mask; *p; ++p) {
            if (*p == '/') {
                shown += '/';
            } else {
                shown += di < ed.digits.size() ? ed.digits[di] : '_';
                ++di;
            }
        }
    } else {
        shown = numeric ? ed.digits : ed.text.text();
    }
    char hint_key[48];
    std::snprintf(hint_key, sizeof hint_key, "edit.hint.%s", field_name(ed.field));
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr(hint_key), kMuted);
    y += ctx.em(0.3f);
    y += entry_box(ctx, area, y, shown, "") + ctx.em(0.6f);
    if (numeric) {
        const float pad_w = std::min(area.width(), ctx.em(20.0f));
        keypad(ctx,
               Box{ImVec2(area.min.x + (area.width() - pad_w) * 0.5f, y),
                   ImVec2(area.min.x + (area.width() + pad_w) * 0.5f, area.max.y)},
               ev::FieldOk{}, out);
    } else {
        keyboard(ctx, Box{ImVec2(area.min.x, y), area.max}, ed.shift, out);
    }
}

void registering(UiContext& ctx, Box area, std::optional<Event>&) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("register.wait"), kInk);
}

void register_failed(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.25f;
    y += text_line(ctx.fonts.title, area.min.x + ctx.em(2), y, area.width() - ctx.em(4),
                   ctx.tr("register.failed"), kInk);
    button_pair(ctx, y + ctx.em(1.5f), area, "done", ctx.tr("common.done"), ev::Done{}, "retry",
                ctx.tr("error.try_again"), ev::Retry{}, out);
}

constexpr ScreenDraw kScreens[] = {
    {Screen::Register, register_form},
    {Screen::EditField, edit_field},
    {Screen::Registering, registering},
    {Screen::RegisterFailed, register_failed},
};

} // namespace

std::span<const ScreenDraw> register_screens() {
    return kScreens;
}

} // namespace kiosk::ui
