#pragma once
// The idle timer: a patient who walks away mid-session must not leave their data on screen. Time comes
// from a core::Clock, so a test moves it by hand (ManualClock) instead of sleeping; the kiosk gives it a
// SteadyClock (a wall clock set back by NTP must not keep a session open, nor one set forward end it).
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
    IdleTimer(const core::Clock& clock, std::chrono::milliseconds limit)
        : clock_(clock), limit_ms_(limit.count()), last_input_(clock.now()) {}

    // A touch, a key, a scan: the patient is still there.
    void note_input() { last_input_ = clock_.now(); }
    // True once the limit has passed since the last input.
    [[nodiscard]] bool expired() const { return ms_left() <= 0; }
    // Milliseconds until it expires (0 or less: it has).
    [[nodiscard]] long long ms_left() const { return last_input_ + limit_ms_ - clock_.now(); }
    [[nodiscard]] long long limit_ms() const { return limit_ms_; }

private:
    const core::Clock& clock_;
    long long limit_ms_;
    core::UnixMillis last_input_;
};

} // namespace kiosk::app
