#pragma once
// The patient flow: the journeys (identify, register, queue ticket; more later) under one Session, as an
// explicit state machine: which screen is shown and what the app must do next. Pure C++ (no ImGui, no
// SQL): screens turn taps into Events, the app turns Effects into work.
#include "kiosk/ui/events.hpp"
#include "kiosk/ui/journey.hpp"
#include "kiosk/ui/journeys/identify.hpp"
#include "kiosk/ui/journeys/payment.hpp"
#include "kiosk/ui/journeys/queue_ticket.hpp"
#include "kiosk/ui/journeys/register.hpp"
#include "kiosk/ui/session.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <vector>

namespace kiosk::ui {

[[nodiscard]] const char* screen_name(Screen s);       // "welcome", "choose_service", ...
[[nodiscard]] const ScreenSpec& screen_spec(Screen s); // from the journey that owns s

class Flow {
public:
    // payment: how the kiosk takes payments; nullopt: Pay is not offered.
    explicit Flow(Language default_language, std::optional<PaymentSettings> payment = std::nullopt);
    Flow(const Flow& other);
    Flow& operator=(const Flow&) = delete;

    // Applies one event; returns the work the app must start, in order (often none, sometimes several).
    // Events that make no sense in the current state (a double tap, a late result after an idle reset)
    // change nothing.
    std::vector<Effect> handle(const Event& event);

    [[nodiscard]] const Session& session() const { return session_; }
    [[nodiscard]] Screen screen() const { return session_.screen; }
    [[nodiscard]] const IdentifyState& identify() const { return identify_.state(); }
    [[nodiscard]] const RegisterState& registration() const { return register_.state(); }
    [[nodiscard]] const QueueTicketState& queue() const { return queue_.state(); }
    [[nodiscard]] const PaymentJourneyState& payment() const { return payment_.state(); }
    [[nodiscard]] const std::optional<PaymentSettings>& payment_settings() const {
        return payment_.settings();
    }

    // Whether this kiosk offers the feature (false: its button says "coming soon").
    [[nodiscard]] bool offers(Feature f) const;

    // True while a patient is mid-journey or has chosen anything (language, mode).
    [[nodiscard]] bool in_session() const;
    // True on screens that wait for work in flight (a scan is not taken then).
    [[nodiscard]] bool busy() const;
    // How long the current screen may sit untouched before the session ends (the app's idle timer);
    // nullopt when there is no session to end.
    [[nodiscard]] std::optional<std::chrono::milliseconds>
    idle_limit(std::chrono::seconds idle_timeout) const;

private:
    bool handle_session_event(const Event& event, Step& step);
    void forget_patient(Step& step, Step::Who who);
    void end_session(Step& step);

    Session session_;
    IdentifyJourney identify_;
    RegisterJourney register_;
    QueueTicketJourney queue_;
    PaymentJourney payment_;
    // Every journey, in the order they are offered an event that the current screen's journey left.
    std::array<Journey*, 4> journeys_{&identify_, &register_, &queue_, &payment_};
};

} // namespace kiosk::ui
