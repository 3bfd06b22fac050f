#pragma once
// The session: the patient in front of the kiosk, from the first tap or scan until Done, the idle timeout
// or the next patient's card. It owns what every journey shares (language, accessibility mode, who the
// patient is) and how long a screen may sit untouched; each journey keeps its own state (journeys/).
#include "kiosk/ui/events.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace kiosk::ui {

// How long a screen may sit untouched before the session ends.
enum class Idle {
    Standard,  // the configured idle timeout
    Long,      // twice that: forms typed on the on-screen keyboard, where starting over costs most
    Countdown, // none: the screen has its own time limit (a payment code's countdown)
};

// What the flow knows about one screen; each journey lists its own (ScreenSpec tables in journeys/).
struct ScreenSpec {
    Screen screen;
    const char* name;               // "welcome", "choose_service", ... (logs, scripts)
    bool busy = false;              // waits for work in flight: no scan is taken, Back does nothing
    bool done_ends_session = false; // ev::Done ends the session here (it is ignored elsewhere)
    Idle idle = Idle::Standard;
};

class Session {
public:
    explicit Session(Language default_language) : language(default_language), default_(default_language) {}

    Screen screen = Screen::Welcome;
    Language language;
    AccessMode mode = AccessMode::Standard;
    // Who the patient is, once a lookup or a registration said so.
    std::optional<KnownPatient> patient;
    // What the card or the keypad said about them: prefills a registration.
    core::PatientDetails identity;

    [[nodiscard]] Language default_language() const { return default_; }
    // A new id for work a journey starts; results carrying an older id are stale. Never reused, also not
    // after a reset, so a result for the previous patient can never be taken for the next one's.
    std::uint64_t new_request() { return ++last_request_; }
    [[nodiscard]] std::uint64_t last_request() const { return last_request_; }

    // Wipes who the patient is (keeps the language and mode they chose).
    void forget_patient();
    // Wipes everything: back to Welcome in the default language and mode.
    void end();

private:
    Language default_;
    std::uint64_t last_request_ = 0;
};

// How long `spec`'s screen may sit untouched (idle_timeout: the configured idle_timeout_seconds);
// nullopt when no session is running (nothing personal is on screen, no timer).
[[nodiscard]] std::optional<std::chrono::milliseconds> idle_limit(const ScreenSpec& spec, bool in_session,
                                                                  std::chrono::seconds idle_timeout);

} // namespace kiosk::ui
