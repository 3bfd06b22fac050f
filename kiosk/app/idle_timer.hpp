#pragma once
// The idle timer: a patient who walks away mid-session must not leave their data on screen. Time comes
// from a core::Clock, so a test moves it by hand (ManualClock) instead of sleeping; the kiosk gives it a
// SteadyClock (a wall clock set back by NTP must not keep a session open, nor one set forward end it).
// The limit is the caller's (KioskApp::idle_limit): it depends on the screen and on whether a session runs.
#include "kiosk/core/clock.hpp"

#include <chrono>

namespace kiosk::app {

// core::Clock over std::chrono::steady_clock: milliseconds since an arbitrary start, never going back.
class SteadyClock final : public core::Clock {
public:
    [[nodiscard]] core::UnixMillis now() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

class IdleTimer {
public:
    explicit IdleTimer(const core::Clock& clock) : clock_(clock), last_input_(clock.now()) {}

    // A touch, a key, a scan: the patient is still there.
    void note_input() { last_input_ = clock_.now(); }
    // Milliseconds until `limit` has passed since the last input (0 or less: it has).
    [[nodiscard]] long long ms_left(std::chrono::milliseconds limit) const {
        return last_input_ + limit.count() - clock_.now();
    }
    [[nodiscard]] bool expired(std::chrono::milliseconds limit) const { return ms_left(limit) <= 0; }

private:
    const core::Clock& clock_;
    core::UnixMillis last_input_;
};

} // namespace kiosk::app
