#include "kiosk/ui/flow.hpp"

#include <span>

namespace kiosk::ui {
namespace {

// The flow's own screen: the home every session starts from and returns to.
constexpr ScreenSpec kWelcome{.screen = Screen::Welcome, .name = "welcome"};

// Every journey's screens (a new journey adds its table here and itself to Flow::journeys_).
constexpr std::span<const ScreenSpec> kScreenTables[] = {
    std::span<const ScreenSpec>(&kWelcome, 1),
    IdentifyJourney::kScreens,
    RegisterJourney::kScreens,
    QueueTicketJourney::kScreens,
    PaymentJourney::kScreens,
};

} // namespace

const ScreenSpec& screen_spec(Screen s) {
    for (const auto table : kScreenTables)
        for (const ScreenSpec& spec : table)
            if (spec.screen == s) return spec;
    return kWelcome; // not reached: a test checks every screen has its spec
}

const char* screen_name(Screen s) {
    for (const auto table : kScreenTables)
        for (const ScreenSpec& spec : table)
            if (spec.screen == s) return spec.name;
    return "?";
}

Flow::Flow(Language default_language, std::optional<PaymentSettings> payment)
    : session_(default_language), identify_(payment.has_value()), payment_(std::move(payment)) {}

// The journeys are values; the list of pointers must point at this flow's own.
Flow::Flow(const Flow& other)
    : session_(other.session_), identify_(other.identify_), register_(other.register_), queue_(other.queue_),
      payment_(other.payment_) {}

bool Flow::offers(Feature f) const {
    switch (f) {
    case Feature::Identify:
    case Feature::QueueTicket:
        return true;
    case Feature::Pay:
        return payment_.offered();
    case Feature::BookAppointment:
    case Feature::CheckIn:
        return false;
    }
    return false;
}

bool Flow::in_session() const {
    return session_.screen != Screen::Welcome || session_.language != session_.default_language() ||
           session_.mode != AccessMode::Standard;
}

bool Flow::busy() const {
    return screen_spec(session_.screen).busy;
}

std::optional<std::chrono::milliseconds> Flow::idle_limit(std::chrono::seconds idle_timeout) const {
    return ui::idle_limit(screen_spec(session_.screen), in_session(), idle_timeout);
}

void Flow::forget_patient(Step& step, Step::Who who) {
    const bool someone = in_session();
    for (Journey* j : journeys_)
        j->reset();
    session_.forget_patient();
    if (who == Step::Who::NextPatient && someone) step.effect(fx::ForgetPatient{});
}

void Flow::end_session(Step& step) {
    const bool someone = in_session();
    for (Journey* j : journeys_)
        j->reset();
    session_.end();
    if (someone) step.effect(fx::ForgetPatient{});
}

// What the session itself decides, whatever journey is on screen.
bool Flow::handle_session_event(const Event& event, Step& step) {
    if (const auto* e = std::get_if<ev::SetLanguage>(&event)) {
        session_.language = e->language;
        return true;
    }
    if (const auto* e = std::get_if<ev::SetAccessMode>(&event)) {
        session_.mode = e->mode;
        return true;
    }
    if (std::holds_alternative<ev::IdleTimeout>(event)) {
        end_session(step);
        return true;
    }
    if (std::holds_alternative<ev::Done>(event)) {
        if (step.at.done_ends_session) end_session(step);
        return true;
    }
    if (const auto* e = std::get_if<ev::TapFeature>(&event)) return !offers(e->feature);
    return false;
}

std::vector<Effect> Flow::handle(const Event& event) {
    Step step(session_, screen_spec(session_.screen),
              [this](Step& s, Step::Who who) { forget_patient(s, who); });
    if (!handle_session_event(event, step)) {
        // The journey on screen first, then the others (a scan, or a trigger that starts another journey).
        Journey* owner = nullptr;
        for (Journey* j : journeys_)
            if (j->owns(session_.screen)) owner = j;
        if (!owner || !owner->handle(event, step))
            for (Journey* j : journeys_)
                if (j != owner && j->handle(event, step)) break;
    }
    return step.take_effects();
}

} // namespace kiosk::ui
