#pragma once
// One function per screen over an explicit context; each returns the Event the patient's tap produced. Each
// journey draws its own screens (screens_<journey>.cpp, a table from screen to draw function).
#include "kiosk/core/site.hpp"
#include "kiosk/ui/flow.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/theme.hpp"
#include "kiosk/ui/widgets.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk::ui {

// What the screens show about the site (from the site config).
struct SiteView {
    std::string hospital_name;
    std::string hospital_name_en;
    std::string kiosk_id;
    std::vector<core::Service> services;
    int utc_offset_minutes = 7 * 60;
    bool bilingual = true; // show the VI/EN switch
};

// The HIS link as the header shows it: calm, small, for staff more than for patients.
struct Connectivity {
    enum class Link {
        Unknown,            // nothing exchanged yet: nothing shown
        Connected,          // the HIS answers, nothing waits
        Sending,            // the HIS answers, records wait their turn
        Offline,            // no answer since offline_since
        CredentialsRefused, // the HIS refuses the kiosk's credentials (401/403): IT staff must fix them
        ServerError,        // the HIS answers with server errors (5xx/429): it cannot take records now
    };
    bool configured = false; // no HIS configured: nothing shown
    bool known = false;      // the sync has reported at least once
    bool online = false;     // the last exchange with the HIS got an answer
    Link link = Link::Unknown;
    std::optional<core::UnixMillis> offline_since;
    std::int64_t waiting = 0; // records not yet acknowledged by the HIS
};

// The indicator's text for c in `catalog` ("" when nothing is shown) and whether it is a warning.
struct ConnectivityText {
    std::string text;
    enum class Severity { Good, Warning, Fault } severity = Severity::Good;
};
[[nodiscard]] ConnectivityText connectivity_text(const Connectivity& c, const Catalog& catalog,
                                                 int utc_offset_minutes);

// State the screens keep between frames that is not patient data (scroll position, QR cache).
struct ScreenMemory {
    DragScroll service_scroll;
    DragScroll bills_scroll;
    std::string qr_text;
    std::optional<QrCode> qr;
};

struct UiContext {
    const Flow& flow;
    const Catalogs& catalogs;
    const SiteView& site;
    const Fonts& fonts;
    TapTargets& targets;
    ScreenMemory& memory;
    const Connectivity& connectivity;
    core::UnixMillis now = 0;

    [[nodiscard]] Language language() const { return flow.session().language; }
    [[nodiscard]] const Catalog& catalog() const { return catalogs.of(language()); }
    [[nodiscard]] const char* tr(const char* key) const { return catalog().tr(key); }
    [[nodiscard]] std::string tr(const char* key, Placeholders values) const {
        return catalog().tr(key, values);
    }
    [[nodiscard]] float em(float n = 1.0f) const { return fonts.em * n; }
};

// Draws the whole screen for ctx.flow.screen() into one fullscreen root window of the given size.
std::optional<Event> draw_screen(UiContext& ctx, ImVec2 display_size);

// Every string a screen may show (for the font's glyph ranges).
std::vector<std::string> texts_for_glyphs(const Catalogs& catalogs, const SiteView& site);

} // namespace kiosk::ui
