#pragma once
// The patient flow as an explicit state machine: which screen is shown and what the app must do next.
// Pure C++ (no ImGui, no SQL): screens turn taps into Events, the app turns Effects into work.
#include "kiosk/core/ticket.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace kiosk::ui {

enum class Screen { Welcome, ChooseService, IssuingTicket, TicketIssued, TicketFailed };
enum class Language { Vi, En };
enum class Feature { BookAppointment, CheckIn, QueueTicket, Pay };

[[nodiscard]] const char* screen_name(Screen s); // "welcome", "choose_service", ...
[[nodiscard]] bool feature_available(Feature f); // false: shown as "coming soon"

// Everything about the patient in front of the kiosk lives here and nowhere else, so one reset clears it.
struct FlowState {
    Screen screen = Screen::Welcome;
    Language language = Language::Vi;
    std::string service_code;           // chosen service
    std::optional<core::Ticket> ticket; // the ticket just issued
    std::uint64_t request = 0;          // id of the outstanding work; stale results are ignored
};

namespace ev {
struct TapFeature {
    Feature feature;
};
struct ChooseService {
    std::string code;
};
struct TicketStored {
    std::uint64_t request;
    core::Ticket ticket;
};
struct TicketFailed {
    std::uint64_t request;
};
struct Back {};
struct Done {};
struct Retry {};
struct IdleTimeout {};
struct SetLanguage {
    Language language;
};
} // namespace ev

using Event = std::variant<ev::TapFeature, ev::ChooseService, ev::TicketStored, ev::TicketFailed, ev::Back,
                           ev::Done, ev::Retry, ev::IdleTimeout, ev::SetLanguage>;

namespace fx {
struct IssueTicket {
    std::uint64_t request;
    std::string service_code;
};
} // namespace fx

using Effect = std::variant<std::monostate, fx::IssueTicket>;

class Flow {
public:
    explicit Flow(Language default_language);

    // Applies one event; returns the work the app must start (if any). Events that make no sense in the
    // current state (a double tap, a late result after an idle reset) change nothing.
    Effect handle(const Event& event);

    [[nodiscard]] const FlowState& state() const { return state_; }
    [[nodiscard]] Screen screen() const { return state_.screen; }
    // True while a patient is mid-journey (the idle timer only runs then).
    [[nodiscard]] bool in_session() const;

private:
    void reset();
    Effect issue(std::string service_code);

    Language default_language_;
    FlowState state_;
    std::uint64_t next_request_ = 1;
};

} // namespace kiosk::ui
