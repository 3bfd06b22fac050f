// The identification screens: scan or type, looking up, the greeting and every way it can fail.
#include "kiosk/ui/screen_parts.hpp"

#include "kiosk/core/identity.hpp"

#include <algorithm>
#include <cstdio>

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
    const bool cccd = ctx.flow.identify().number_kind == IdKind::Cccd;
    area = back_and_title(ctx, area, ctx.tr(cccd ? "number.title_cccd" : "number.title_bhyt"), out);
    float y = area.min.y;
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(),
                   ctx.tr(cccd ? "number.hint_cccd" : "number.hint_bhyt"), kMuted);
    y += ctx.em(0.4f);
    const float w = std::min(area.width(), ctx.em(20.0f));
    const Box box{ImVec2(area.min.x + (area.width() - w) * 0.5f, y),
                  ImVec2(area.min.x + (area.width() + w) * 0.5f, y)};
    y += entry_box(ctx, box, y, grouped(ctx.flow.identify().number_digits), "") + ctx.em(0.3f);
    if (ctx.flow.identify().id_problem)
        y += text_line(ctx.fonts.button, area.min.x, y, area.width(),
                       problem_text(ctx, *ctx.flow.identify().id_problem), kWarn);
    y += ctx.em(0.5f);
    const float pad_w = std::min(area.width(), ctx.em(20.0f));
    keypad(ctx,
           Box{ImVec2(area.min.x + (area.width() - pad_w) * 0.5f, y),
               ImVec2(area.min.x + (area.width() + pad_w) * 0.5f, area.max.y)},
           ev::SubmitNumber{current_year(ctx)}, out);
}

void looking_up(UiContext& ctx, Box area, std::optional<Event>&) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("lookup.wait"), kInk);
}

void greeting(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.session().patient) return;
    const KnownPatient& p = *ctx.flow.session().patient;
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
    // What the patient can do now: in one column, or side by side on a landscape screen.
    const bool pay = ctx.flow.offers(Feature::Pay);
    const float gap = ctx.em(0.8f);
    const ImVec2 size(std::min(area.width(), ctx.em(22.0f)), ctx.em(4.0f));
    const bool side_by_side = pay && area.width() > area.height() * 1.2f && area.width() >= size.x * 2 + gap;
    const float x = area.min.x + (area.width() - (side_by_side ? size.x * 2 + gap : size.x)) * 0.5f;
    if (button_at(ctx, ImVec2(x, y), "feature.queue", ctx.tr("feature.queue"), nullptr, size, Tone::Primary,
                  ctx.fonts.title))
        out = ev::TapFeature{Feature::QueueTicket};
    if (pay) {
        const ImVec2 at = side_by_side ? ImVec2(x + size.x + gap, y) : ImVec2(x, y + size.y + gap);
        if (button_at(ctx, at, "feature.pay", ctx.tr("feature.pay"), nullptr, size, Tone::Primary,
                      ctx.fonts.title))
            out = ev::TapFeature{Feature::Pay};
        if (!side_by_side) y += size.y + gap;
    }
    y += size.y + gap;
    if (button_at(ctx, ImVec2(area.min.x + (area.width() - size.x) * 0.5f, y), "done", ctx.tr("common.done"),
                  nullptr, ImVec2(size.x, ctx.em(3.0f)), Tone::Secondary, ctx.fonts.button))
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
    if (ctx.flow.identify().his_offline)
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
    if (ctx.flow.identify().id_problem)
        y += text_line(ctx.fonts.button, area.min.x + inset, y, area.width() - 2 * inset,
                       problem_text(ctx, *ctx.flow.identify().id_problem), kWarn);
    y += text_line(ctx.fonts.body, area.min.x + inset, y, area.width() - 2 * inset, ctx.tr("idrejected.hint"),
                   kMuted);
    button_pair(ctx, y + ctx.em(1.5f), area, "done", ctx.tr("common.done"), ev::Done{}, "retry",
                ctx.tr("error.try_again"), ev::Retry{}, out);
}

constexpr ScreenDraw kScreens[] = {
    {Screen::Identify, identify},
    {Screen::EnterNumber, enter_number},
    {Screen::LookingUp, looking_up},
    {Screen::Greeting, greeting},
    {Screen::NotFound, not_found},
    {Screen::SeeStaff, see_staff},
    {Screen::HisUnavailable, his_unavailable},
    {Screen::IdRejected, id_rejected},
};

} // namespace

std::span<const ScreenDraw> identify_screens() {
    return kScreens;
}

} // namespace kiosk::ui
