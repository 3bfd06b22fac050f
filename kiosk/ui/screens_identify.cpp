// Identification (scan / keypad), greeting and registration screens.
#include "kiosk/ui/screen_parts.hpp"

#include "kiosk/core/identity.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace kiosk::ui {
namespace {

// "079090001234" shown as "079 090 001 234" (easier to check against the card).
std::string grouped(const std::string& digits) {
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % 3 == 0) out += ' ';
        out += digits[i];
    }
    return out;
}

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

} // namespace

void identify(UiContext& ctx, Box area, std::optional<Event>& out) {
    area = back_and_title(ctx, area, ctx.tr("identify.title"), out);
    float y = area.min.y + ctx.em(0.5f);
    // The scanner is the fast path: say so first, in big letters, with a card drawn beside the words.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float card_scale = area.width() > area.height() * 1.2f ? 0.7f : 1.0f;
    const float card_w = ctx.em(7.0f * card_scale), card_h = ctx.em(4.4f * card_scale);
    const ImVec2 c0(area.min.x + (area.width() - card_w) * 0.5f, y);
    dl->AddRectFilled(c0, ImVec2(c0.x + card_w, c0.y + card_h), IM_COL32(226, 236, 246, 255), ctx.em(0.4f));
    dl->AddRect(c0, ImVec2(c0.x + card_w, c0.y + card_h), kAccent, ctx.em(0.4f), 0, ctx.em(0.08f));
    const float q = card_h * 0.62f;
    const ImVec2 q0(c0.x + card_w - q - ctx.em(0.5f), c0.y + (card_h - q) * 0.5f);
    const float m = q / 7.0f;
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c)
            if (((r * 5 + c * 3 + r * c) % 3 == 0) || r == 0 || c == 0 || r == 6 || c == 6) {
                const auto fr = static_cast<float>(r), fc = static_cast<float>(c);
                dl->AddRectFilled(ImVec2(q0.x + fc * m, q0.y + fr * m),
                                  ImVec2(q0.x + (fc + 1) * m, q0.y + (fr + 1) * m), kInk);
            }
    for (float i = 0; i < 3; i += 1)
        dl->AddRectFilled(ImVec2(c0.x + ctx.em(0.5f), c0.y + ctx.em(0.8f + 0.9f * i)),
                          ImVec2(c0.x + card_w * 0.45f, c0.y + ctx.em(1.2f + 0.9f * i)), kMuted,
                          ctx.em(0.1f));
    y += card_h + ctx.em(0.8f);
    y += text_line(ctx.fonts.title, area.min.x, y, area.width(), ctx.tr("identify.scan"), kInk);
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr("identify.scan_hint"), kMuted);
    y += ctx.em(1.2f);
    y += text_line(ctx.fonts.button, area.min.x, y, area.width(), ctx.tr("identify.or_type"), kInk);
    y += ctx.em(0.6f);
    const float gap = ctx.em(0.8f);
    // Side by side when the screen is wide, one above the other when it is tall.
    const bool wide = area.width() > area.height() * 1.2f;
    const ImVec2 size = wide ? ImVec2((area.width() - gap) * 0.5f, std::min(ctx.em(4.6f), area.max.y - y))
                             : ImVec2(area.width(), std::min(ctx.em(4.6f), (area.max.y - y - gap) * 0.5f));
    const ImVec2 second = wide ? ImVec2(area.min.x + size.x + gap, y) : ImVec2(area.min.x, y + size.y + gap);
    if (button_at(ctx, ImVec2(area.min.x, y), "identify.type_cccd", ctx.tr("identify.type_cccd"),
                  ctx.tr("identify.type_cccd_hint"), size, Tone::Primary, ctx.fonts.button))
        out = ev::ChooseIdKind{IdKind::Cccd};
    if (button_at(ctx, second, "identify.type_bhyt", ctx.tr("identify.type_bhyt"),
                  ctx.tr("identify.type_bhyt_hint"), size, Tone::Primary, ctx.fonts.button))
        out = ev::ChooseIdKind{IdKind::Bhyt};
}

void enter_number(UiContext& ctx, Box area, std::optional<Event>& out) {
    const bool cccd = ctx.flow.number_kind == IdKind::Cccd;
    area = back_and_title(ctx, area, ctx.tr(cccd ? "number.title_cccd" : "number.title_bhyt"), out);
    float y = area.min.y;
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(),
                   ctx.tr(cccd ? "number.hint_cccd" : "number.hint_bhyt"), kMuted);
    y += ctx.em(0.4f);
    const float w = std::min(area.width(), ctx.em(20.0f));
    const Box box{ImVec2(area.min.x + (area.width() - w) * 0.5f, y),
                  ImVec2(area.min.x + (area.width() + w) * 0.5f, y)};
    y += entry_box(ctx, box, y, grouped(ctx.flow.number_digits), "") + ctx.em(0.3f);
    if (ctx.flow.id_problem)
        y += text_line(ctx.fonts.button, area.min.x, y, area.width(), problem_text(ctx, *ctx.flow.id_problem),
                       kWarn);
    y += ctx.em(0.5f);
    const float pad_w = std::min(area.width(), ctx.em(20.0f));
    keypad(ctx,
           Box{ImVec2(area.min.x + (area.width() - pad_w) * 0.5f, y),
               ImVec2(area.min.x + (area.width() + pad_w) * 0.5f, area.max.y)},
           ev::SubmitNumber{current_year(ctx)}, out);
}

void looking_up(UiContext& ctx, Box area) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("lookup.wait"), kInk);
}

void greeting(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.patient) return;
    const KnownPatient& p = *ctx.flow.patient;
    float y = area.min.y + area.height() * 0.12f;
    y += text_line(ctx.fonts.title, area.min.x, y, area.width(), ctx.tr("greeting.hello"), kInk);
    ImFont* f = ctx.fonts.title;
    y += centered_text(ImGui::GetWindowDrawList(), f, f->FontSize * 1.6f, ImVec2(area.min.x, y), area.width(),
                       p.masked_name.c_str(), kAccent);
    y += ctx.em(0.6f);
    const char* note = !p.kiosk_patient_id.empty() && p.his_id.empty() ? "greeting.registered"
                       : p.from_cache                                  ? "greeting.offline"
                                                                       : "greeting.found";
    y += text_line(ctx.fonts.body, area.min.x + ctx.em(1), y, area.width() - ctx.em(2), ctx.tr(note), kMuted);
    y += text_line(ctx.fonts.body, area.min.x + ctx.em(1), y, area.width() - ctx.em(2),
                   ctx.tr("greeting.not_you"), kMuted);
    y += ctx.em(1.5f);
    const ImVec2 size(std::min(area.width(), ctx.em(22.0f)), ctx.em(4.0f));
    const float x = area.min.x + (area.width() - size.x) * 0.5f;
    if (button_at(ctx, ImVec2(x, y), "feature.queue", ctx.tr("feature.queue"), nullptr, size, Tone::Primary,
                  ctx.fonts.title))
        out = ev::TapFeature{Feature::QueueTicket};
    y += size.y + ctx.em(0.8f);
    if (button_at(ctx, ImVec2(x, y), "done", ctx.tr("common.done"), nullptr, ImVec2(size.x, ctx.em(3.0f)),
                  Tone::Secondary, ctx.fonts.button))
        out = ev::Done{};
}

void not_found(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.15f;
    const float inset = ctx.em(1.5f);
    y += text_line(ctx.fonts.title, area.min.x + inset, y, area.width() - 2 * inset, ctx.tr("notfound.title"),
                   kInk);
    y += ctx.em(0.4f);
    y += text_line(ctx.fonts.button, area.min.x + inset, y, area.width() - 2 * inset, ctx.tr("notfound.text"),
                   kInk);
    if (ctx.flow.his_offline)
        y += text_line(ctx.fonts.body, area.min.x + inset, y, area.width() - 2 * inset,
                       ctx.tr("notfound.offline"), kMuted);
    button_pair(ctx, y + ctx.em(1.5f), area, "back", ctx.tr("common.back"), ev::Back{}, "notfound.register",
                ctx.tr("notfound.register"), ev::StartRegistration{}, out);
}

void see_staff(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.2f;
    const float inset = ctx.em(1.5f);
    y += text_line(ctx.fonts.title, area.min.x + inset, y, area.width() - 2 * inset, ctx.tr("seestaff.text"),
                   kInk);
    button_pair(ctx, y + ctx.em(1.5f), area, nullptr, nullptr, ev::Back{}, "done", ctx.tr("common.done"),
                ev::Done{}, out);
}

// The HIS did not answer: say so plainly, offer Try again and the reception desk, and no registration
// (it could be a second record of someone the hospital knows).
void his_unavailable(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.15f;
    const float inset = ctx.em(1.5f);
    const float w = area.width() - 2 * inset;
    y += text_line(ctx.fonts.title, area.min.x + inset, y, w, ctx.tr("unavailable.title"), kInk);
    y += ctx.em(0.4f);
    y += text_line(ctx.fonts.button, area.min.x + inset, y, w, ctx.tr("unavailable.text"), kInk);
    y += ctx.em(0.3f);
    y += text_line(ctx.fonts.body, area.min.x + inset, y, w, ctx.tr("unavailable.no_register"), kMuted);
    button_pair(ctx, y + ctx.em(1.5f), area, "unavailable.desk", ctx.tr("unavailable.desk"), ev::AskStaff{},
                "retry", ctx.tr("error.try_again"), ev::Retry{}, out);
}

void id_rejected(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.2f;
    const float inset = ctx.em(1.5f);
    y += text_line(ctx.fonts.title, area.min.x + inset, y, area.width() - 2 * inset,
                   ctx.tr("idrejected.title"), kInk);
    y += ctx.em(0.4f);
    if (ctx.flow.id_problem)
        y += text_line(ctx.fonts.button, area.min.x + inset, y, area.width() - 2 * inset,
                       problem_text(ctx, *ctx.flow.id_problem), kWarn);
    y += text_line(ctx.fonts.body, area.min.x + inset, y, area.width() - 2 * inset, ctx.tr("idrejected.hint"),
                   kMuted);
    button_pair(ctx, y + ctx.em(1.5f), area, "done", ctx.tr("common.done"), ev::Done{}, "retry",
                ctx.tr("error.try_again"), ev::Retry{}, out);
}

void register_form(UiContext& ctx, Box area, std::optional<Event>& out) {
    area = back_and_title(ctx, area, ctx.tr("register.title"), out);
    float y = area.min.y;
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr("register.hint"), kMuted);
    y += ctx.em(0.4f);
    const core::PatientDetails& d = ctx.flow.draft;
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
        const bool wrong = ctx.flow.draft_problem_field == f;
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
    if (ctx.flow.draft_problem_field) {
        char key[64];
        std::snprintf(key, sizeof key, "register.problem.%s", field_name(*ctx.flow.draft_problem_field));
        const char* text = ctx.flow.draft_problem ? problem_text(ctx, *ctx.flow.draft_problem) : ctx.tr(key);
        y += text_line(ctx.fonts.button, area.min.x, y, area.width(), text, kWarn);
    }
    const ImVec2 size(std::min(area.width(), ctx.em(16.0f)), submit_h);
    if (button_at(ctx, ImVec2(area.min.x + (area.width() - size.x) * 0.5f, std::max(y, area.max.y - size.y)),
                  "register.submit", ctx.tr("register.submit"), nullptr, size, Tone::Primary,
                  ctx.fonts.title))
        out = ev::SubmitRegistration{current_year(ctx)};
}

void edit_field(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.editor) return;
    const FieldEditor& ed = *ctx.flow.editor;
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

void registering(UiContext& ctx, Box area) {
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

} // namespace kiosk::ui
