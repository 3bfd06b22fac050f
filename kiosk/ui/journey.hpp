#pragma once
// A journey: one thing a patient comes to the kiosk for (identify, register, take a queue ticket; booking,
// check-in, payment... later), with its own state, the events it handles and the effects it returns. The
// Flow (flow.hpp) composes the journeys under one Session; a new journey is a new file pair in journeys/
// plus one line in the Flow's list.
#include "kiosk/ui/session.hpp"

#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace kiosk::ui {

// The keypad's longest number (identification and the registration form's numbers).
inline constexpr std::size_t kMaxDigits = 15;

// What a journey may do while it handles one event besides changing its own state.
class Step {
public:
    enum class Who {
        SamePatient, // the patient starts over (Back to the start of identification)
        NextPatient, // another patient may be in front of the kiosk now (a card was scanned)
    };
    using Forget = std::function<void(Step&, Who)>;

    Step(Session& on, const ScreenSpec& arrived_on, Forget forget)
        : session(on), at(arrived_on), forget_(std::move(forget)) {}

    Session& session;
    const ScreenSpec& at; // the screen the event arrived on

    void go(Screen s) { session.screen = s; }
    void effect(Effect e) { effects_.push_back(std::move(e)); }
    // Wipes every journey's personal data and who the patient is (the language and mode stay).
    void forget_patient(Who who) {
        if (forget_) forget_(*this, who);
    }

    [[nodiscard]] std::vector<Effect> take_effects() { return std::move(effects_); }

private:
    Forget forget_;
    std::vector<Effect> effects_;
};

class Journey {
public:
    virtual ~Journey() = default;
    // The screens this journey owns.
    [[nodiscard]] virtual std::span<const ScreenSpec> screens() const = 0;
    // Handles `event` if it is this journey's (on one of its screens, or a trigger that starts it from
    // another screen); returns false to let the other journeys see it.
    virtual bool handle(const Event& event, Step& step) = 0;
    // Wipes everything personal the journey holds and returns it to its start.
    virtual void reset() = 0;

    [[nodiscard]] bool owns(Screen s) const {
        for (const ScreenSpec& spec : screens())
            if (spec.screen == s) return true;
        return false;
    }

protected:
    Journey() = default;
    Journey(const Journey&) = default;
    Journey& operator=(const Journey&) = default;
};

template <class... F> struct Overloaded : F... { using F::operator()...; };
template <class... F> Overloaded(F...) -> Overloaded<F...>;

} // namespace kiosk::ui
