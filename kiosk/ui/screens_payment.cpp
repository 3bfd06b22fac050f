// The payment screens: the bills, the VietQR code with its countdown, the receipt, and the ways it can end
// otherwise (no bills, none to show, the code expired, a bill changed).
#include "kiosk/core/money.hpp"
#include "kiosk/ui/screen_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace kiosk::ui {
namespace {

std::string amount_text(const UiContext& ctx, std::int64_t dong) {
    return ctx.language() == Language::Vi ? core::format_vnd_vi(dong) : core::format_vnd_en(dong);
}
std::string amount_words(const UiContext& ctx, std::int64_t dong) {
    return ctx.language() == Language::Vi ? core::vnd_in_words_vi(dong) : core::vnd_in_words_en(dong);
}

// A message in the middle of the screen, then Back (left) and Done or Retry (right).
void message_screen(UiContext& ctx, Box area, const char* title, const char* text, const char* right_id,
                    const char* right_label, const Event& right_event, bool back, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.2f;
    const float inset = ctx.em(1.5f);
    if (title) y += text_line(ctx.fonts.title, area.min.x + inset, y, area.width() - 2 * inset, title, kInk);
    y += ctx.em(0.4f);
    y += text_line(ctx.fonts.button, area.min.x + inset, y, area.width() - 2 * inset, text, kInk);
    button_pair(ctx, y + ctx.em(1.5f), area, back ? "back" : nullptr, back ? ctx.tr("common.back") : nullptr,
                ev::Back{}, right_id, right_label, right_event, out);
}

void loading(UiContext& ctx, Box area, std::optional<Event>&) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("pay.loading"), kInk);
}

void bills(UiContext& ctx, Box area, std::optional<Event>& out) {
    const PaymentJourneyState& p = ctx.flow.payment();
    area = back_and_title(ctx, area, ctx.tr("pay.bills_title"), out);
    float y = area.min.y - ctx.em(0.2f);
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr("pay.bills_hint"), kMuted) +
         ctx.em(0.4f);

    // At the bottom: "pay all" when it can be one code, the cashier note, Done.
    const ImVec2 done_size(ctx.em(12.0f), ctx.em(2.8f));
    float bottom = area.max.y - done_size.y - ctx.em(0.4f);
    if (button_at(ctx, ImVec2(area.min.x + (area.width() - done_size.x) * 0.5f, bottom), "done",
                  ctx.tr("common.done"), nullptr, done_size, Tone::Secondary, ctx.fonts.button))
        out = ev::Done{};
    if (p.unusable > 0) {
        const float h = ImGui::CalcTextSize(ctx.tr("pay.unusable"), nullptr, false, area.width()).y;
        bottom -= h + ctx.em(0.5f);
        text_line(ctx.fonts.body, area.min.x, bottom, area.width(), ctx.tr("pay.unusable"), kMuted);
    }
    if (p.bills.size() > 1 && !p.can_pay_all()) {
        // Their numbers together are longer than one code's reference: one bill per code.
        const float h = ImGui::CalcTextSize(ctx.tr("pay.one_by_one"), nullptr, false, area.width()).y;
        bottom -= h + ctx.em(0.5f);
        text_line(ctx.fonts.body, area.min.x, bottom, area.width(), ctx.tr("pay.one_by_one"), kMuted);
    }
    if (p.can_pay_all()) {
        std::int64_t total = 0;
        for (const core::Bill& b : p.bills)
            total += b.amount_vnd;
        const ImVec2 size(area.width(), ctx.em(4.6f));
        bottom -= size.y + ctx.em(0.6f);
        const std::string label = ctx.tr("pay.all", {{"amount", amount_text(ctx, total)}});
        if (button_at(ctx, ImVec2(area.min.x, bottom), "pay.all", label.c_str(),
                      amount_words(ctx, total).c_str(), size, Tone::Primary, ctx.fonts.title))
            out = ev::PayBills{std::nullopt, ctx.now};
    }

    // The bills, scrolled by dragging when many.
    ImGui::SetCursorScreenPos(ImVec2(area.min.x, y));
    ImGui::BeginChild("##bills", ImVec2(area.width(), std::max(ctx.em(4.0f), bottom - ctx.em(0.6f) - y)),
                      false, ImGuiWindowFlags_NoScrollWithMouse);
    const float w = ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ScrollbarSize - ctx.em(0.4f);
    for (std::size_t i = 0; i < p.bills.size(); ++i) {
        const core::Bill& b = p.bills[i];
        const std::string what = b.description.empty() ? ctx.tr("pay.bill_number", {{"number", b.number}})
                                                       : b.description + " · " + b.number;
        const std::string label = amount_text(ctx, b.amount_vnd) + "  ·  " + ctx.tr("pay.this_bill");
        const std::string sub = what + "\n" + amount_words(ctx, b.amount_vnd);
        if (big_button(ctx.targets, "pay.bill." + std::to_string(i + 1), label.c_str(), sub.c_str(),
                       ImVec2(w, ctx.em(4.6f)), Tone::Secondary, ctx.fonts.button, ctx.fonts.body))
            out = ev::PayBills{i, ctx.now};
    }
    drag_scroll(ctx.memory.bills_scroll, ctx.em(0.45f));
    ImGui::EndChild();
}

void no_bills(UiContext& ctx, Box area, std::optional<Event>& out) {
    const std::string text =
        std::string(ctx.tr("pay.none")) +
        (ctx.flow.payment().unusable > 0 ? std::string("\n") + ctx.tr("pay.unusable") : "");
    message_screen(ctx, area, nullptr, text.c_str(), "done", ctx.tr("common.done"), ev::Done{}, true, out);
}

// The bills the HIS listed last, to see (not to pay) while it cannot be asked.
void kept_bills(UiContext& ctx, Box area, std::optional<Event>& out) {
    const PaymentJourneyState& p = ctx.flow.payment();
    float y = area.min.y + area.height() * 0.08f;
    const float inset = ctx.em(1.5f);
    const float w = area.width() - 2 * inset;
    y += text_line(ctx.fonts.button, area.min.x + inset, y, w, ctx.tr("pay.unavailable_kept"), kInk) +
         ctx.em(0.6f);
    const std::string as_of =
        ctx.tr("pay.kept", {{"time", core::local_time_hhmm(p.cached_at, ctx.site.utc_offset_minutes)},
                            {"date", date_text(core::local_date(p.cached_at, ctx.site.utc_offset_minutes))}});
    y += text_line(ctx.fonts.body, area.min.x + inset, y, w, as_of.c_str(), kMuted) + ctx.em(0.3f);
    for (const core::Bill& b : p.bills) {
        if (y > area.max.y - ctx.em(8.0f)) break; // the rest waits for the HIS
        const std::string line = (b.description.empty() ? b.number : b.description + " · " + b.number) +
                                 " · " + amount_text(ctx, b.amount_vnd);
        y += text_line(ctx.fonts.body, area.min.x + inset, y, w, line.c_str(), kInk);
    }
    button_pair(ctx, y + ctx.em(1.2f), area, "back", ctx.tr("common.back"), ev::Back{}, "retry",
                ctx.tr("error.try_again"), ev::Retry{}, out);
}

void unavailable(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.payment().bills.empty() && ctx.flow.payment().cached_at != 0)
        kept_bills(ctx, area, out);
    else if (ctx.flow.payment().no_his_record)
        message_screen(ctx, area, nullptr, ctx.tr("pay.no_his_record"), "done", ctx.tr("common.done"),
                       ev::Done{}, true, out);
    else
        message_screen(ctx, area, nullptr, ctx.tr("pay.unavailable"), "retry", ctx.tr("error.try_again"),
                       ev::Retry{}, true, out);
}

// "9:59"
std::string minutes_seconds(core::UnixMillis ms) {
    const long long s = std::max<long long>(0, (ms + 999) / 1000);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

void pay_by_qr(UiContext& ctx, Box area, std::optional<Event>& out) {
    const PaymentJourneyState& p = ctx.flow.payment();
    if (!p.paying || !ctx.flow.payment_settings()) return;
    const core::PaymentAccount& to = ctx.flow.payment_settings()->account;
    if (ctx.memory.qr_text != p.code) {
        ctx.memory.qr_text = p.code;
        ctx.memory.qr = QrCode::encode(p.code);
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const bool landscape = area.width() > area.height() * 1.2f;
    const ImVec2 cancel_size(ctx.em(12.0f), ctx.em(2.8f));
    const float bottom = area.max.y - cancel_size.y - ctx.em(0.4f);

    // The facts column (full width in portrait, the left half in landscape).
    const float col_w = landscape ? area.width() * 0.5f : area.width();
    float y = area.min.y;
    y += text_line(ctx.fonts.title, area.min.x, y, col_w, ctx.tr("pay.qr_title"), kInk);
    ImFont* f = ctx.fonts.title;
    y += centered_text(dl, f, f->FontSize * 1.5f, ImVec2(area.min.x, y), col_w,
                       amount_text(ctx, p.paying->amount_vnd).c_str(), kAccent);
    y += text_line(ctx.fonts.body, area.min.x, y, col_w, amount_words(ctx, p.paying->amount_vnd).c_str(),
                   kInk);
    y += ctx.em(0.3f);
    const std::string name = ctx.tr("pay.to", {{"name", to.account_name}});
    const std::string bank = ctx.tr("pay.bank", {{"bank", to.bank_name}, {"account", to.account}});
    const std::string purpose = ctx.tr("pay.purpose", {{"purpose", p.paying->purpose}});
    y += text_line(ctx.fonts.button, area.min.x, y, col_w, name.c_str(), kInk);
    y += text_line(ctx.fonts.body, area.min.x, y, col_w, bank.c_str(), kInk);
    y += text_line(ctx.fonts.body, area.min.x, y, col_w, purpose.c_str(), kMuted);
    y += ctx.em(0.4f);

    // The code: as large as the space allows (a phone held at arm's length reads it). White behind it and
    // its quiet zone, whatever the theme's background.
    const auto code = [&](ImVec2 at, float side) {
        if (!ctx.memory.qr) return;
        dl->AddRectFilled(at, ImVec2(at.x + side, at.y + side), IM_COL32_WHITE);
        draw_qr(dl, *ctx.memory.qr, at, side);
    };
    // Under it (portrait) or under the facts (landscape): how to scan, the time left, what happens next.
    const std::string left = ctx.tr("pay.countdown", {{"time", minutes_seconds(p.expires_at - ctx.now)}});
    const auto notes = [&](float x, float top, float w) {
        top += text_line(ctx.fonts.body, x, top, w, ctx.tr("pay.qr_hint"), kMuted);
        top += text_line(ctx.fonts.button, x, top, w, left.c_str(), kInk);
        text_line(ctx.fonts.body, x, top, w, ctx.tr("pay.waiting"), kMuted);
    };
    float cancel_x = area.min.x + (area.width() - cancel_size.x) * 0.5f;
    if (landscape) {
        notes(area.min.x, y + ctx.em(0.4f), col_w);
        cancel_x = area.min.x + (col_w - cancel_size.x) * 0.5f;
        const float qw = area.width() - col_w;
        const float side = std::max(ctx.em(6.0f), std::min(qw - ctx.em(1.0f), area.height()));
        code(ImVec2(area.min.x + col_w + (qw - side) * 0.5f, area.min.y + (area.height() - side) * 0.5f),
             side);
    } else {
        const float side = std::max(ctx.em(6.0f), std::min(area.width(), bottom - y - ctx.em(4.5f)));
        code(ImVec2(area.min.x + (area.width() - side) * 0.5f, y), side);
        notes(area.min.x, y + side + ctx.em(0.2f), area.width());
    }
    if (button_at(ctx, ImVec2(cancel_x, bottom), "pay.cancel", ctx.tr("pay.cancel"), nullptr, cancel_size,
                  Tone::Secondary, ctx.fonts.button))
        out = ev::Back{};
}

void received(UiContext& ctx, Box area, std::optional<Event>& out) {
    const PaymentJourneyState& p = ctx.flow.payment();
    if (!p.paying) return;
    float y = area.min.y + area.height() * 0.12f;
    const float inset = ctx.em(1.5f);
    const float w = area.width() - 2 * inset;
    y += text_line(ctx.fonts.title, area.min.x + inset, y, w, ctx.tr("pay.received_title"), kInk);
    ImFont* f = ctx.fonts.title;
    y += centered_text(ImGui::GetWindowDrawList(), f, f->FontSize * 1.5f, ImVec2(area.min.x, y), area.width(),
                       amount_text(ctx, p.paying->amount_vnd).c_str(), kAccent);
    y += text_line(ctx.fonts.body, area.min.x + inset, y, w, amount_words(ctx, p.paying->amount_vnd).c_str(),
                   kInk);
    y += ctx.em(0.3f);
    y += text_line(ctx.fonts.button, area.min.x + inset, y, w, ctx.tr("pay.received_text"), kInk);
    y += ctx.em(0.4f);
    for (const std::string& number : p.paying->bill_numbers)
        y += text_line(ctx.fonts.body, area.min.x + inset, y, w,
                       ctx.tr("pay.bill_number", {{"number", number}}).c_str(), kInk);
    const std::string at = ctx.tr(
        "pay.received_at", {{"time", core::local_time_hhmm(p.paid_at, ctx.site.utc_offset_minutes)},
                            {"date", date_text(core::local_date(p.paid_at, ctx.site.utc_offset_minutes))}});
    y += text_line(ctx.fonts.body, area.min.x + inset, y, w, at.c_str(), kMuted);
    button_pair(ctx, y + ctx.em(1.5f), area, nullptr, nullptr, ev::Back{}, "done", ctx.tr("common.done"),
                ev::Done{}, out);
}

void expired(UiContext& ctx, Box area, std::optional<Event>& out) {
    message_screen(ctx, area, ctx.tr("pay.expired_title"), ctx.tr("pay.expired_text"), "done",
                   ctx.tr("common.done"), ev::Done{}, true, out);
}

void stopped(UiContext& ctx, Box area, std::optional<Event>& out) {
    message_screen(ctx, area, nullptr, ctx.tr("pay.stopped"), "done", ctx.tr("common.done"), ev::Done{},
                   false, out);
}

void finding_receipt(UiContext& ctx, Box area, std::optional<Event>&) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("pay.finding_receipt"), kInk);
}

void no_receipt(UiContext& ctx, Box area, std::optional<Event>& out) {
    const std::string text = ctx.tr("pay.no_receipt", {{"number", ctx.flow.payment().receipt_for}});
    message_screen(ctx, area, nullptr, text.c_str(), "done", ctx.tr("common.done"), ev::Done{}, false, out);
}

constexpr ScreenDraw kScreens[] = {
    {Screen::LoadingBills, loading},
    {Screen::Bills, bills},
    {Screen::NoBills, no_bills},
    {Screen::BillsUnavailable, unavailable},
    {Screen::PayByQr, pay_by_qr},
    {Screen::PaymentReceived, received},
    {Screen::PaymentExpired, expired},
    {Screen::PaymentStopped, stopped},
    {Screen::FindingReceipt, finding_receipt},
    {Screen::NoReceipt, no_receipt},
};

} // namespace

std::span<const ScreenDraw> payment_screens() {
    return kScreens;
}

} // namespace kiosk::ui
