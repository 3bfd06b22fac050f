#include "kiosk/app/kiosk_app.hpp"

#include "kiosk/core/text.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace kiosk::app {
namespace {

ui::Connectivity::Link link_view(sync::HisLink l) {
    using L = ui::Connectivity::Link;
    switch (l) {
    case sync::HisLink::Unknown:
        return L::Unknown;
    case sync::HisLink::Connected:
        return L::Connected;
    case sync::HisLink::Sending:
        return L::Sending;
    case sync::HisLink::Offline:
        return L::Offline;
    case sync::HisLink::CredentialsRefused:
        return L::CredentialsRefused;
    case sync::HisLink::ServerError:
    case sync::HisLink::SyncFailing: // records cannot go now either; the log says why
        return L::ServerError;
    }
    return L::Unknown;
}

} // namespace

KioskApp::KioskApp(Setup setup, ui::Catalogs catalogs, Clocks clocks, EffectRunner::Ports ports,
                   EffectRunner::Executors executors, std::vector<core::Service> services)
    : setup_(std::move(setup)), catalogs_(std::move(catalogs)), wall_(clocks.wall),
      monotonic_(clocks.monotonic), flow_(setup_.language, setup_.payment), idle_(clocks.monotonic),
      runner_(ports, executors, clocks.wall, std::move(services),
              [this](const ui::Event& e) { dispatch(e); }) {
    connectivity_.configured = setup_.his_configured;
}

void KioskApp::dispatch(const ui::Event& event) {
    const ui::Screen before = flow_.screen();
    const std::vector<ui::Effect> effects = flow_.handle(event);
    if (flow_.screen() != before) {
        // A new screen gets its whole idle time, also when the HIS or a timer brought it (the expired
        // payment code's message after ten minutes at the phone).
        idle_.note_input();
        spdlog::info("screen {} -> {}", ui::screen_name(before), ui::screen_name(flow_.screen()));
        if (flow_.screen() == ui::Screen::ChooseService) memory_.service_scroll = {};
    }
    redraw(3);
    if (flow_.screen() == ui::Screen::Welcome) patient_gone(); // nothing of a patient lingers
    for (const ui::Effect& effect : effects) {
        // Forgetting is the app's own (the screens' memory, the shell's scanner); the rest is work.
        if (std::holds_alternative<ui::fx::ForgetPatient>(effect)) {
            memory_ = ui::ScreenMemory{};
            patient_gone();
        }
        if (const auto* t = std::get_if<ui::fx::CheckPaymentIn>(&effect))
            payment_timer_ = PaymentTimer{t->request, monotonic_.now() + t->delay.count()};
        runner_.run(effect);
    }
}

ScriptView::Sync KioskApp::sync() const {
    return Sync{connectivity_.known, connectivity_.online, connectivity_.waiting, sync_caught_up()};
}

void KioskApp::on_sync_status(const sync::SyncStatus& st, std::uint64_t kicks_seen) {
    kicks_seen_ = kicks_seen;
    connectivity_.known = true;
    connectivity_.online = st.online;
    connectivity_.link = link_view(st.link);
    connectivity_.offline_since = st.offline_since;
    connectivity_.waiting = st.waiting;
    redraw(1);
}

void KioskApp::draw(const ui::Fonts& fonts, ui::TapTargets& targets, ImVec2 display) {
    ui::UiContext ctx{flow_, catalogs_, setup_.site, fonts, targets, memory_, connectivity_, wall_.now()};
    drawn_event_ = ui::draw_screen(ctx, display);
}

void KioskApp::after_frame() {
    if (!drawn_event_) return;
    const ui::Event event = std::move(*drawn_event_);
    drawn_event_.reset();
    dispatch(event);
}

void KioskApp::on_scan(std::string& text) {
    // The scanned text is personal data: it goes to the flow and is wiped, never logged.
    spdlog::info("scan received on {}", screen_name());
    dispatch(ui::ev::Scanned{text, current_year()});
    core::wipe(text);
}

void KioskApp::on_unreadable_scan() {
    spdlog::warn("a scan arrived on {} but was cut short or had no Enter at its end; if this "
                 "repeats, check that the scanner sends a CR suffix and UTF-8",
                 screen_name());
    dispatch(ui::ev::ScanUnreadable{});
}

void KioskApp::tick(bool pointer_down) {
    if (payment_timer_ && monotonic_.now() >= payment_timer_->due) {
        const std::uint64_t request = payment_timer_->request;
        payment_timer_.reset();
        dispatch(ui::ev::PaymentCheckDue{request, wall_.now()}); // may set the next one
    }
    if (flow_.screen() == ui::Screen::PayByQr && wall_.now() / 1000 != countdown_second_) {
        countdown_second_ = wall_.now() / 1000;
        redraw(1);
    }
    // A finger resting on the screen is someone there, however long since it last moved.
    const auto limit = idle_limit();
    if (!limit || pointer_down || !idle_.expired(*limit)) return;
    spdlog::info("idle for {} s on {}: back to welcome, patient state cleared",
                 std::chrono::duration_cast<std::chrono::seconds>(*limit).count(), screen_name());
    dispatch(ui::ev::IdleTimeout{});
    memory_ = ui::ScreenMemory{};
    patient_gone();
}

long long KioskApp::wake_in_ms() const {
    // Wake for the clock on screen (next minute) and for the idle timeout; otherwise sleep.
    long long next = 60'000 - wall_.now() % 60'000 + 20;
    if (const auto limit = idle_limit())
        next = std::min<long long>(next, std::max<long long>(idle_.ms_left(*limit) + 5, 1));
    if (payment_timer_)
        next = std::min<long long>(next, std::max<long long>(payment_timer_->due - monotonic_.now() + 1, 1));
    // The payment code's countdown shows seconds.
    if (flow_.screen() == ui::Screen::PayByQr)
        next = std::min<long long>(next, 1000 - wall_.now() % 1000 + 5);
    return std::clamp<long long>(next, 1, 60'000);
}

std::optional<std::chrono::milliseconds> KioskApp::idle_limit() const {
    return flow_.idle_limit(setup_.idle_limit);
}

int KioskApp::current_year() const {
    return core::local_date(wall_.now(), setup_.utc_offset_minutes).year;
}

} // namespace kiosk::app
