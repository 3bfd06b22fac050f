// The queue ticket screens: choose a service, wait, the ticket (number, QR), the failure.
#include "kiosk/ui/screen_parts.hpp"

#include <algorithm>
#include <cstdio>

namespace kiosk::ui {
namespace {

void choose_service(UiContext& ctx, Box area, std::optional<Event>& out) {
    area = back_and_title(ctx, area, ctx.tr("service.title"), out);
    float y = area.min.y - ctx.em(0.2f);
    ImGui::GetWindowDrawList()->AddText(ctx.fonts.body, ctx.fonts.body->FontSize, ImVec2(area.min.x, y),
                                        kMuted, ctx.tr("service.hint"), nullptr, area.width());
    y += ImGui::CalcTextSize(ctx.tr("service.hint"), nullptr, false, area.width()).y + ctx.em(0.6f);

    ImGui::SetCursorScreenPos(ImVec2(area.min.x, y));
    ImGui::BeginChild("##services", ImVec2(area.width(), area.max.y - y), false,
                      ImGuiWindowFlags_NoScrollWithMouse);
    const float w = ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ScrollbarSize - ctx.em(0.4f);
    for (const auto& s : ctx.site.services) {
        char label[192];
        std::snprintf(label, sizeof label, "%s", service_name(ctx, s));
        if (big_button(ctx.targets, "service." + s.code, label, nullptr, ImVec2(w, ctx.em(3.4f)),
                       Tone::Secondary, ctx.fonts.button, ctx.fonts.body))
            out = ev::ChooseService{s.code};
    }
    drag_scroll(ctx.memory.service_scroll, ctx.em(0.45f));
    ImGui::EndChild();
}

void issuing(UiContext& ctx, Box area, std::optional<Event>&) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("issuing.wait"), kInk);
}

void ticket(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.queue().ticket) return;
    const core::Ticket& t = *ctx.flow.queue().ticket;
    if (ctx.memory.qr_text != t.reference) {
        ctx.memory.qr_text = t.reference;
        ctx.memory.qr = QrCode::encode(t.reference);
    }
    const core::Service* svc = find_service(ctx.site, t.service_code);
    const bool landscape = area.width() > area.height() * 1.2f;
    const ImVec2 done_size(ctx.em(12.0f), ctx.em(2.8f));
    const float bottom = area.max.y - done_size.y - ctx.em(0.6f);

    // Number column (full width in portrait, left 60 % in landscape).
    const float col_w = landscape ? area.width() * 0.6f : area.width();
    float y = area.min.y;
    y += text_line(ctx.fonts.title, area.min.x, y, col_w, ctx.tr("ticket.title"), kInk);
    y += text_line(ctx.fonts.huge, area.min.x, y, col_w, t.display_number.c_str(), kAccent);
    if (svc) y += text_line(ctx.fonts.button, area.min.x, y, col_w, service_name(ctx, *svc), kInk);
    const std::string when =
        ctx.tr("ticket.issued_at", {{"time", core::local_time_hhmm(t.issued_at, ctx.site.utc_offset_minutes)},
                                    {"date", date_text(t.service_day)}});
    y += ctx.em(0.3f);
    y += text_line(ctx.fonts.body, area.min.x, y, col_w, when.c_str(), kMuted);
    y += ctx.em(0.5f);
    if (landscape) text_line(ctx.fonts.button, area.min.x, y, col_w, ctx.tr("ticket.instructions"), kInk);

    // QR column (right in landscape, below in portrait).
    float qx = area.min.x, qy = y, qw = area.width();
    float qh = bottom - y - ctx.em(landscape ? 1.5f : 4.0f);
    if (landscape) {
        qx = area.min.x + col_w;
        qy = area.min.y;
        qw = area.width() - col_w;
        qh = bottom - area.min.y - ctx.em(1.5f);
    }
    const float side = std::clamp(std::min(qw, qh), ctx.em(4.0f), ctx.em(landscape ? 10.0f : 13.0f));
    if (ctx.memory.qr)
        draw_qr(ImGui::GetWindowDrawList(), *ctx.memory.qr, ImVec2(qx + (qw - side) * 0.5f, qy), side);
    float cy = qy + side + ctx.em(0.2f);
    cy += text_line(ctx.fonts.body, qx, cy, qw, ctx.tr("ticket.qr_hint"), kMuted);
    if (!landscape)
        text_line(ctx.fonts.button, area.min.x, cy + ctx.em(0.5f), area.width(),
                  ctx.tr("ticket.instructions"), kInk);

    if (button_at(ctx, ImVec2(area.min.x + (area.width() - done_size.x) * 0.5f, bottom), "ticket.done",
                  ctx.tr("ticket.done"), nullptr, done_size, Tone::Primary, ctx.fonts.title))
        out = ev::Done{};
}

void ticket_failed(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y + area.height() * 0.25f;
    y += text_line(ctx.fonts.title, area.min.x + ctx.em(2), y, area.width() - ctx.em(4),
                   ctx.tr("error.ticket_failed"), kInk);
    const ImVec2 size(ctx.em(10.0f), ctx.em(2.8f));
    const float x = area.min.x + (area.width() - size.x * 2 - ctx.em(1.0f)) * 0.5f;
    y += ctx.em(1.5f);
    if (button_at(ctx, ImVec2(x, y), "back", ctx.tr("common.back"), nullptr, size, Tone::Secondary,
                  ctx.fonts.button))
        out = ev::Back{};
    if (button_at(ctx, ImVec2(x + size.x + ctx.em(1.0f), y), "retry", ctx.tr("error.try_again"), nullptr,
                  size, Tone::Primary, ctx.fonts.button))
        out = ev::Retry{};
}

constexpr ScreenDraw kScreens[] = {
    {Screen::ChooseService, choose_service},
    {Screen::IssuingTicket, issuing},
    {Screen::TicketIssued, ticket},
    {Screen::TicketFailed, ticket_failed},
};

} // namespace

std::span<const ScreenDraw> queue_ticket_screens() {
    return kScreens;
}

} // namespace kiosk::ui
