#pragma once
// The kiosk app over its state (hello_imgui's AppState and callbacks): the flow, the idle timer, what the
// screens remember, the HIS status; effects go to the EffectRunner. The SDL shell (shell.hpp) drives it
// through ShellApp and knows nothing of the flow. No SDL here, so tests run it with fakes and a
// ManualClock.
#include "kiosk/app/effect_runner.hpp"
#include "kiosk/app/idle_timer.hpp"
#include "kiosk/app/script_driver.hpp"
#include "kiosk/app/shell_app.hpp"
#include "kiosk/ui/flow.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/screens.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::sync {
struct SyncStatus;
}

namespace kiosk::app {

class KioskApp final : public ShellApp, public ScriptView {
public:
    struct Setup {
        ui::Language language = ui::Language::Vi; // the site's first language
        ui::SiteView site;
        int utc_offset_minutes = 0;
        std::chrono::seconds idle_limit{60};
        bool his_configured = false;
        std::optional<ui::PaymentSettings> payment; // [payment]; nullopt: Pay is not offered
    };
    struct Clocks {
        const core::Clock& wall;      // dates on screen, the year of a scan, what the stores record
        const core::Clock& monotonic; // the idle timer (SteadyClock in the kiosk)
    };
    KioskApp(Setup setup, ui::Catalogs catalogs, Clocks clocks, EffectRunner::Ports ports,
             EffectRunner::Executors executors, std::vector<core::Service> services);
    KioskApp(const KioskApp&) = delete; // the runner calls back into this one
    KioskApp& operator=(const KioskApp&) = delete;

    // The one place an event reaches the flow; the effects it returns go to the runner.
    void dispatch(const ui::Event& event);
    // A status from the HIS sync (on the UI thread); kicks_seen: SyncWorker's count when it was taken.
    void on_sync_status(const sync::SyncStatus& status, std::uint64_t kicks_seen);

    // ShellApp.
    void set_shell(ShellHooks hooks) override { hooks_ = std::move(hooks); }
    void draw(const ui::Fonts& fonts, ui::TapTargets& targets, ImVec2 display) override;
    void after_frame() override;
    void on_input() override { idle_.note_input(); }
    void on_scan(std::string& text) override;
    void on_unreadable_scan() override;
    void tick(bool pointer_down) override;
    [[nodiscard]] long long wake_in_ms() const override;
    // ScriptView.
    [[nodiscard]] std::string screen_name() const override { return ui::screen_name(flow_.screen()); }
    [[nodiscard]] Sync sync() const override;

    [[nodiscard]] const ui::Flow& flow() const { return flow_; }
    [[nodiscard]] const ui::Connectivity& connectivity() const { return connectivity_; }
    // For wait-sync: a status counts the newest record only once it had seen the kick sent after it.
    [[nodiscard]] bool sync_caught_up() const { return kicks_seen_ >= runner_.kicks_sent(); }

private:
    [[nodiscard]] int current_year() const;
    // How long the screen may sit untouched before the session ends; none when no session runs. The one
    // place the idle policy is read.
    [[nodiscard]] std::optional<std::chrono::milliseconds> idle_limit() const;
    void redraw(int frames) {
        if (hooks_.redraw) hooks_.redraw(frames);
    }
    void patient_gone() {
        if (hooks_.patient_gone) hooks_.patient_gone();
    }

    // The payment journey's one timer (fx::CheckPaymentIn), on the monotonic clock.
    struct PaymentTimer {
        std::uint64_t request = 0;
        core::UnixMillis due = 0;
    };

    Setup setup_;
    ui::Catalogs catalogs_;
    const core::Clock& wall_;
    const core::Clock& monotonic_;
    std::optional<PaymentTimer> payment_timer_;
    core::UnixMillis countdown_second_ = 0; // the payment code's countdown was last drawn in this second
    ui::Flow flow_;
    IdleTimer idle_;
    EffectRunner runner_;
    ui::ScreenMemory memory_;
    ui::Connectivity connectivity_;
    std::uint64_t kicks_seen_ = 0;         // SyncWorker::kick()'s count the newest status had seen
    std::optional<ui::Event> drawn_event_; // what the frame's screen asked for, handled after the frame
    ShellHooks hooks_;
};

} // namespace kiosk::app
