#include "kiosk/ui/screens.hpp"

#include "kiosk/ui/screen_parts.hpp"

#include <algorithm>
#include <cstdio>

namespace kiosk::ui {
namespace {

// "● Connected" in green, "● Offline since 07:42 · 12 waiting" in amber, "● The HIS refuses the kiosk's
// credentials · 7 waiting" in red; nothing when no HIS is configured or nothing is known yet.
void connectivity(const UiContext& ctx, ImVec2 at, float max_x) {
    const Connectivity& c = ctx.connectivity;
    const ConnectivityText t =
        connectivity_text(c, ctx.catalogs.of(ctx.flow.language), ctx.site.utc_offset_minutes);
    if (t.text.empty()) return;
    const ImU32 dot = t.severity == ConnectivityText::Severity::Good      ? IM_COL32(20, 140, 70, 255)
                      : t.severity == ConnectivityText::Severity::Warning ? IM_COL32(200, 130, 0, 255)
                                                                          : kWarn;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float r = ctx.em(0.22f);
    dl->AddCircleFilled(ImVec2(at.x + r, at.y + ctx.fonts.body->FontSize * 0.55f), r, dot);
    dl->PushClipRect(at, ImVec2(std::max(at.x, max_x), at.y + ctx.em(2.0f)), true);
    dl->AddText(ctx.fonts.body, ctx.fonts.body->FontSize, ImVec2(at.x + r * 2 + ctx.em(0.3f), at.y),
                t.severity == ConnectivityText::Severity::Fault ? kWarn : kMuted, t.text.c_str());
    dl->PopClipRect();
}

// Hospital name, kiosk id and clock on the left; the language switch on the right.
Box header(UiContext& ctx, Box area, std::optional<Event>& out) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 sw_size(ctx.em(6.2f), ctx.em(2.2f));
    const float sw_w = ctx.site.bilingual ? sw_size.x * 2 + ctx.em(0.4f) : 0;
    const float name_w = area.width() - sw_w - ctx.em(1.0f);

    const char* name = ctx.flow.language == Language::En && !ctx.site.hospital_name_en.empty()
                           ? ctx.site.hospital_name_en.c_str()
                           : ctx.site.hospital_name.c_str();
    ImFont* tf = ctx.fonts.title;
    dl->AddText(tf, tf->FontSize, area.min, kAccent, name, nullptr, name_w);
    float y = area.min.y + tf->CalcTextSizeA(tf->FontSize, FLT_MAX, name_w, name).y + ctx.em(0.2f);

    char line[160];
    std::snprintf(line, sizeof line, "%s %s  ·  %s", ctx.tr("welcome.kiosk"), ctx.site.kiosk_id.c_str(),
                  core::local_time_hhmm(ctx.now, ctx.site.utc_offset_minutes).c_str());
    dl->AddText(ctx.fonts.body, ctx.fonts.body->FontSize, ImVec2(area.min.x, y), kMuted, line);
    // Clipped short of the language switch when the line runs beside it.
    const float beside_switch = y < area.min.y + sw_size.y ? sw_w + ctx.em(0.4f) : 0.0f;
    connectivity(ctx, ImVec2(area.min.x + ImGui::CalcTextSize(line).x + ctx.em(0.8f), y),
                 area.max.x - beside_switch);
    y += ctx.em(1.2f);

    if (ctx.site.bilingual) {
        const float x = area.max.x - sw_w;
        const bool vi = ctx.flow.language == Language::Vi;
        if (button_at(ctx, ImVec2(x, area.min.y), "lang.vi", ctx.tr("lang.vi"), nullptr, sw_size,
                      vi ? Tone::Primary : Tone::Secondary, ctx.fonts.body))
            out = ev::SetLanguage{Language::Vi};
        if (button_at(ctx, ImVec2(x + sw_size.x + ctx.em(0.4f), area.min.y), "lang.en", ctx.tr("lang.en"),
                      nullptr, sw_size, vi ? Tone::Secondary : Tone::Primary, ctx.fonts.body))
            out = ev::SetLanguage{Language::En};
        y = std::max(y, area.min.y + sw_size.y);
    }
    y += ctx.em(0.5f);
    dl->AddLine(ImVec2(area.min.x, y), ImVec2(area.max.x, y), IM_COL32(200, 210, 222, 255), ctx.em(0.06f));
    return Box{ImVec2(area.min.x, y + ctx.em(0.8f)), area.max};
}

void welcome(UiContext& ctx, Box area, std::optional<Event>& out) {
    float y = area.min.y;
    y += text_line(ctx.fonts.title, area.min.x, y, area.width(), ctx.tr("welcome.greeting"), kInk);
    y += text_line(ctx.fonts.body, area.min.x, y, area.width(), ctx.tr("welcome.hint"), kMuted);
    y += ctx.em(0.8f);

    struct Item {
        Feature feature;
        const char* id;
        const char* key;
    };
    static constexpr Item items[] = {{Feature::BookAppointment, "feature.book", "feature.book"},
                                     {Feature::CheckIn, "feature.checkin", "feature.checkin"},
                                     {Feature::QueueTicket, "feature.queue", "feature.queue"},
                                     {Feature::Pay, "feature.pay", "feature.pay"}};
    // Identification first: the scanner works on every screen, this says so and offers typing instead.
    // At least the height its two lines need (big_button pads 0.6 em above and below).
    const float id_inner_w = area.width() - ctx.em(1.2f);
    const float id_need = centered_text(nullptr, ctx.fonts.title, ctx.fonts.title->FontSize, {}, id_inner_w,
                                        ctx.tr("feature.identify"), 0) +
                          centered_text(nullptr, ctx.fonts.body, ctx.fonts.body->FontSize, {}, id_inner_w,
                                        ctx.tr("feature.identify_hint"), 0) +
                          ctx.em(1.4f);
    const float id_h = std::max(id_need, std::min(ctx.em(5.5f), (area.max.y - y) * 0.22f));
    if (button_at(ctx, ImVec2(area.min.x, y), "feature.identify", ctx.tr("feature.identify"),
                  ctx.tr("feature.identify_hint"), ImVec2(area.width(), id_h), Tone::Primary,
                  ctx.fonts.title))
        out = ev::TapFeature{Feature::Identify};
    y += id_h + ctx.em(0.8f);
    const bool landscape = area.width() > area.height() * 1.2f;
    const int cols = landscape ? 2 : 1;
    const int rows = 4 / cols;
    const float gap = ctx.em(0.8f);
    const float cell_w = (area.width() - gap * static_cast<float>(cols - 1)) / static_cast<float>(cols);
    const float cell_h = std::min(ctx.em(8.0f), (area.max.y - y - gap * static_cast<float>(rows - 1)) /
                                                    static_cast<float>(rows));
    for (int i = 0; i < 4; ++i) {
        const Item& it = items[i];
        const bool available = feature_available(it.feature);
        const ImVec2 pos(area.min.x + static_cast<float>(i % cols) * (cell_w + gap),
                         y + static_cast<float>(i / cols) * (cell_h + gap));
        if (button_at(ctx, pos, it.id, ctx.tr(it.key), available ? nullptr : ctx.tr("common.coming_soon"),
                      ImVec2(cell_w, cell_h), available ? Tone::Primary : Tone::Disabled, ctx.fonts.title))
            out = ev::TapFeature{it.feature};
    }
}

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

void issuing(UiContext& ctx, Box area) {
    text_line(ctx.fonts.title, area.min.x, area.min.y + area.height() * 0.4f, area.width(),
              ctx.tr("issuing.wait"), kInk);
}

void ticket(UiContext& ctx, Box area, std::optional<Event>& out) {
    if (!ctx.flow.ticket) return;
    const core::Ticket& t = *ctx.flow.ticket;
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
    char when[96];
    std::snprintf(when, sizeof when, "%s: %s %02u/%02u/%04d", ctx.tr("ticket.issued_at"),
                  core::local_time_hhmm(t.issued_at, ctx.site.utc_offset_minutes).c_str(), t.service_day.day,
                  t.service_day.month, t.service_day.year);
    y += ctx.em(0.3f);
    y += text_line(ctx.fonts.body, area.min.x, y, col_w, when, kMuted);
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

} // namespace

std::string fill(std::string_view text,
                 std::initializer_list<std::pair<std::string_view, std::string>> values) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto open = text.find('{', i);
        const auto close = open == std::string_view::npos ? open : text.find('}', open);
        if (close == std::string_view::npos) break;
        out.append(text.substr(i, open - i));
        const std::string_view name = text.substr(open + 1, close - open - 1);
        bool known = false;
        for (const auto& [key, value] : values)
            if (key == name) {
                out += value;
                known = true;
                break;
            }
        if (!known) out.append(text.substr(open, close - open + 1)); // left as written: a test sees it
        i = close + 1;
    }
    out.append(text.substr(std::min(i, text.size())));
    return out;
}

ConnectivityText connectivity_text(const Connectivity& c, const Catalog& catalog, int utc_offset_minutes) {
    using Link = Connectivity::Link;
    using Severity = ConnectivityText::Severity;
    if (!c.configured || !c.known) return {};
    const std::string count = std::to_string(c.waiting);
    switch (c.link) {
    case Link::Unknown:
        return {};
    case Link::Connected:
        return {catalog.tr("status.online"), Severity::Good};
    case Link::Sending:
        return {fill(catalog.tr("status.sending_count"), {{"count", count}}), Severity::Good};
    case Link::Offline:
        // Never "offline since" without a time: the engine always has one, but say "offline" if not.
        if (!c.offline_since)
            return {fill(catalog.tr("status.offline_count"), {{"count", count}}), Severity::Warning};
        return {
            fill(catalog.tr("status.offline_since_count"),
                 {{"time", core::local_time_hhmm(*c.offline_since, utc_offset_minutes)}, {"count", count}}),
            Severity::Warning};
    case Link::CredentialsRefused:
        return {fill(catalog.tr("status.credentials_refused_count"), {{"count", count}}), Severity::Fault};
    case Link::ServerError:
        return {fill(catalog.tr("status.server_error_count"), {{"count", count}}), Severity::Warning};
    }
    return {};
}

std::optional<Event> draw_screen(UiContext& ctx, ImVec2 display_size) {
    ctx.targets.clear();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(display_size);
    constexpr ImGuiWindowFlags root_flags =
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
        ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("##root", nullptr, root_flags);
    std::optional<Event> out;
    const ImVec2 pad = ImGui::GetStyle().WindowPadding;
    Box area{pad, ImVec2(display_size.x - pad.x, display_size.y - pad.y)};
    area = header(ctx, area, out);
    switch (ctx.flow.screen) {
    case Screen::Welcome:
        welcome(ctx, area, out);
        break;
    case Screen::ChooseService:
        choose_service(ctx, area, out);
        break;
    case Screen::IssuingTicket:
        issuing(ctx, area);
        break;
    case Screen::TicketIssued:
        ticket(ctx, area, out);
        break;
    case Screen::TicketFailed:
        ticket_failed(ctx, area, out);
        break;
    case Screen::Identify:
        identify(ctx, area, out);
        break;
    case Screen::EnterNumber:
        enter_number(ctx, area, out);
        break;
    case Screen::LookingUp:
        looking_up(ctx, area);
        break;
    case Screen::Greeting:
        greeting(ctx, area, out);
        break;
    case Screen::NotFound:
        not_found(ctx, area, out);
        break;
    case Screen::SeeStaff:
        see_staff(ctx, area, out);
        break;
    case Screen::HisUnavailable:
        his_unavailable(ctx, area, out);
        break;
    case Screen::IdRejected:
        id_rejected(ctx, area, out);
        break;
    case Screen::Register:
        register_form(ctx, area, out);
        break;
    case Screen::EditField:
        edit_field(ctx, area, out);
        break;
    case Screen::Registering:
        registering(ctx, area);
        break;
    case Screen::RegisterFailed:
        register_failed(ctx, area, out);
        break;
    }
    ImGui::End();
    return out;
}

std::vector<std::string> texts_for_glyphs(const Catalogs& catalogs, const SiteView& site) {
    std::vector<std::string> out{site.hospital_name, site.hospital_name_en, site.kiosk_id};
    for (const Catalog* c : {&catalogs.vi, &catalogs.en})
        for (const auto& [key, text] : c->entries())
            out.push_back(text);
    for (const auto& s : site.services) {
        out.push_back(s.name_vi);
        out.push_back(s.name_en);
    }
    return out;
}

} // namespace kiosk::ui
