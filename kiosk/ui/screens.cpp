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
    const ConnectivityText t = connectivity_text(c, ctx.catalog(), ctx.site.utc_offset_minutes);
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

    const char* name = ctx.language() == Language::En && !ctx.site.hospital_name_en.empty()
                           ? ctx.site.hospital_name_en.c_str()
                           : ctx.site.hospital_name.c_str();
    ImFont* tf = ctx.fonts.title;
    dl->AddText(tf, tf->FontSize, area.min, kAccent, name, nullptr, name_w);
    float y = area.min.y + tf->CalcTextSizeA(tf->FontSize, FLT_MAX, name_w, name).y + ctx.em(0.2f);

    const std::string line =
        ctx.tr("header.kiosk_clock", {{"kiosk", ctx.site.kiosk_id},
                                      {"time", core::local_time_hhmm(ctx.now, ctx.site.utc_offset_minutes)}});
    dl->AddText(ctx.fonts.body, ctx.fonts.body->FontSize, ImVec2(area.min.x, y), kMuted, line.c_str());
    // Clipped short of the language switch when the line runs beside it.
    const float beside_switch = y < area.min.y + sw_size.y ? sw_w + ctx.em(0.4f) : 0.0f;
    connectivity(ctx, ImVec2(area.min.x + ImGui::CalcTextSize(line.c_str()).x + ctx.em(0.8f), y),
                 area.max.x - beside_switch);
    y += ctx.em(1.2f);

    if (ctx.site.bilingual) {
        const float x = area.max.x - sw_w;
        const bool vi = ctx.language() == Language::Vi;
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
        const bool available = ctx.flow.offers(it.feature);
        const ImVec2 pos(area.min.x + static_cast<float>(i % cols) * (cell_w + gap),
                         y + static_cast<float>(i / cols) * (cell_h + gap));
        if (button_at(ctx, pos, it.id, ctx.tr(it.key), available ? nullptr : ctx.tr("common.coming_soon"),
                      ImVec2(cell_w, cell_h), available ? Tone::Primary : Tone::Disabled, ctx.fonts.title))
            out = ev::TapFeature{it.feature};
    }
}

constexpr ScreenDraw kHome[] = {{Screen::Welcome, welcome}};

// The flow's own screen (the journeys draw theirs: screens_<journey>.cpp).
std::span<const ScreenDraw> home_screens() {
    return kHome;
}

} // namespace

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
        return {catalog.tr("status.sending_count", {{"count", count}}), Severity::Good};
    case Link::Offline:
        // Never "offline since" without a time: the engine always has one, but say "offline" if not.
        if (!c.offline_since)
            return {catalog.tr("status.offline_count", {{"count", count}}), Severity::Warning};
        return {catalog.tr("status.offline_since_count",
                           {{"time", core::local_time_hhmm(*c.offline_since, utc_offset_minutes)},
                            {"count", count}}),
                Severity::Warning};
    case Link::CredentialsRefused:
        return {catalog.tr("status.credentials_refused_count", {{"count", count}}), Severity::Fault};
    case Link::ServerError:
        return {catalog.tr("status.server_error_count", {{"count", count}}), Severity::Warning};
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
    const Screen screen = ctx.flow.screen();
    for (const auto table :
         {home_screens(), identify_screens(), register_screens(), queue_ticket_screens(), payment_screens()})
        for (const ScreenDraw& d : table)
            if (d.screen == screen) d.draw(ctx, area, out);
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
