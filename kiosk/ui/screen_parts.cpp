#include "kiosk/ui/screen_parts.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kiosk::ui {
namespace {

// Keys laid out in a grid inside `area`; each key is a big button with target id "key.<id>".
struct KeyDef {
    const char* id;
    const char* label;
    Event event;
    float width = 1.0f; // in key units
    Tone tone = Tone::Secondary;
};

void key_rows(UiContext& ctx, Box area, const std::vector<std::vector<KeyDef>>& rows,
              std::optional<Event>& out) {
    const float gap = ctx.em(0.35f);
    float units = 0;
    for (const auto& row : rows) {
        float u = 0;
        for (const auto& k : row)
            u += k.width;
        units = std::max(units, u);
    }
    const auto n_rows = static_cast<float>(rows.size());
    const float key_w = std::min((area.width() - gap * (units - 1)) / units, ctx.em(7.0f));
    const float key_h = std::min((area.height() - gap * (n_rows - 1)) / n_rows, ctx.em(5.0f));
    float y = area.min.y;
    for (const auto& row : rows) {
        float row_w = -gap;
        for (const auto& k : row)
            row_w += key_w * k.width + gap * k.width;
        float x = area.min.x + (area.width() - row_w) * 0.5f;
        for (const auto& k : row) {
            const float w = key_w * k.width + gap * (k.width - 1);
            // Word keys ("Delete", "Xoá hết") and short keys (landscape) step down a font size rather than
            // wrap or overflow (big_button pads 0.6 em at the sides and the top).
            ImFont* font = ctx.fonts.title;
            for (ImFont* f : {ctx.fonts.title, ctx.fonts.button, ctx.fonts.body}) {
                font = f;
                const bool fits_h = f->FontSize * 1.15f <= key_h - ctx.em(0.7f);
                const bool fits_w = std::strlen(k.label) <= 1 ||
                                    f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, k.label).x <= w - ctx.em(1.25f);
                if (fits_h && fits_w) break;
            }
            if (button_at(ctx, ImVec2(x, y), std::string("key.") + k.id, k.label, nullptr, ImVec2(w, key_h),
                          k.tone, font))
                out = k.event;
            x += w + gap;
        }
        y += key_h + gap;
    }
}

} // namespace

const core::Service* find_service(const SiteView& site, const std::string& code) {
    for (const auto& s : site.services)
        if (s.code == code) return &s;
    return nullptr;
}

const char* service_name(const UiContext& ctx, const core::Service& s) {
    return ctx.language() == Language::En && !s.name_en.empty() ? s.name_en.c_str() : s.name_vi.c_str();
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

void keypad(UiContext& ctx, Box area, const Event& ok, std::optional<Event>& out) {
    static const char* digits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    auto d = [&](int i) { return KeyDef{digits[i], digits[i], ev::Key{digits[i][0]}}; };
    const std::vector<std::vector<KeyDef>> rows = {
        {d(1), d(2), d(3)},
        {d(4), d(5), d(6)},
        {d(7), d(8), d(9)},
        {KeyDef{"erase", ctx.tr("keys.erase"), ev::Erase{}}, d(0),
         KeyDef{"ok", ctx.tr("keys.ok"), ok, 1.0f, Tone::Primary}},
    };
    key_rows(ctx, area, rows, out);
}

// QWERTY with the keys Telex needs (every letter, w f j z s r x included), digits for addresses.
void keyboard(UiContext& ctx, Box area, bool shift, std::optional<Event>& out) {
    static const char* lower[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
    static const char* digit_row = "1234567890";
    static char labels[26 + 10][2];
    std::vector<std::vector<KeyDef>> rows;
    std::vector<KeyDef> digits;
    for (int i = 0; i < 10; ++i) {
        labels[26 + i][0] = digit_row[i];
        labels[26 + i][1] = 0;
        digits.push_back(KeyDef{labels[26 + i], labels[26 + i], ev::Key{digit_row[i]}});
    }
    rows.push_back(std::move(digits));
    static char ids[26][2];
    for (int r = 0; r < 3; ++r) {
        std::vector<KeyDef> row;
        if (r == 2)
            row.push_back(KeyDef{"shift", ctx.tr("keys.shift"), ev::Shift{}, 1.5f,
                                 shift ? Tone::Primary : Tone::Secondary});
        for (const char* p = lower[r]; *p; ++p) {
            const int i = *p - 'a';
            ids[i][0] = *p;
            ids[i][1] = 0;
            labels[i][0] = shift ? static_cast<char>(*p - 'a' + 'A') : *p;
            labels[i][1] = 0;
            row.push_back(KeyDef{ids[i], labels[i], ev::Key{*p}});
        }
        if (r == 2) row.push_back(KeyDef{"erase", ctx.tr("keys.erase"), ev::Erase{}, 1.5f});
        rows.push_back(std::move(row));
    }
    rows.push_back({KeyDef{"comma", ",", ev::Key{','}}, KeyDef{"period", ".", ev::Key{'.'}},
                    KeyDef{"space", ctx.tr("keys.space"), ev::Key{' '}, 3.0f},
                    KeyDef{"slash", "/", ev::Key{'/'}}, KeyDef{"dash", "-", ev::Key{'-'}},
                    KeyDef{"clear", ctx.tr("keys.clear"), ev::Clear{}, 2.0f},
                    KeyDef{"ok", ctx.tr("keys.ok"), ev::FieldOk{}, 2.0f, Tone::Primary}});
    key_rows(ctx, area, rows, out);
}

// A framed box showing what is being typed, with a caret.
float entry_box(UiContext& ctx, Box area, float y, const std::string& text, const char* placeholder) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* f = ctx.fonts.title;
    const float h = f->FontSize * 1.25f + ctx.em(0.8f);
    const ImVec2 a(area.min.x, y), b(area.max.x, y + h);
    dl->AddRectFilled(a, b, IM_COL32_WHITE, ctx.em(0.3f));
    dl->AddRect(a, b, kAccent, ctx.em(0.3f), 0, std::max(1.0f, ctx.em(0.08f)));
    const char* shown = text.empty() ? placeholder : text.c_str();
    const ImVec2 sz = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0, shown);
    const float tx = area.min.x + ctx.em(0.6f);
    const float clip_w = area.width() - ctx.em(1.4f);
    // Long text scrolls left so the end (where typing happens) stays visible.
    const float shift = text.empty() ? 0.0f : std::max(0.0f, sz.x - clip_w);
    dl->PushClipRect(ImVec2(tx, y), ImVec2(tx + clip_w + ctx.em(0.2f), y + h), true);
    dl->AddText(f, f->FontSize, ImVec2(tx - shift, y + ctx.em(0.4f)), text.empty() ? kMuted : kInk, shown);
    if (!text.empty())
        dl->AddRectFilled(ImVec2(tx - shift + sz.x + ctx.em(0.08f), y + ctx.em(0.4f)),
                          ImVec2(tx - shift + sz.x + ctx.em(0.18f), y + ctx.em(0.4f) + f->FontSize), kAccent);
    dl->PopClipRect();
    return h;
}

const char* problem_text(UiContext& ctx, core::IdProblem p) {
    return ctx.tr(core::problem_key(p));
}

} // namespace kiosk::ui
