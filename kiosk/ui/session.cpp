#include "kiosk/ui/session.hpp"

namespace kiosk::ui {

void Session::forget_patient() {
    if (patient) core::wipe(*patient);
    patient.reset();
    core::wipe(identity);
}

void Session::end() {
    forget_patient();
    screen = Screen::Welcome;
    language = default_;
    mode = AccessMode::Standard;
}

std::optional<std::chrono::milliseconds> idle_limit(const ScreenSpec& spec, bool in_session,
                                                    std::chrono::seconds idle_timeout) {
    if (!in_session || spec.idle == Idle::Countdown) return std::nullopt;
    const std::chrono::milliseconds standard = idle_timeout;
    return spec.idle == Idle::Long ? standard * 2 : standard;
}

} // namespace kiosk::ui
