#pragma once
// What the flow tests ask of Flow::handle's effects.
#include "kiosk/ui/flow.hpp"

#include <gtest/gtest.h>

#include <variant>
#include <vector>

namespace kiosk::ui::testing {

using Effects = std::vector<Effect>;

inline bool no_effect(const Effects& e) {
    return e.empty();
}

// Exactly one effect, of type T.
template <class T> bool holds_only(const Effects& e) {
    return e.size() == 1 && std::holds_alternative<T>(e.front());
}

// The one piece of work of type T among `e`; the others may only be fx::ForgetPatient (a new patient's
// scan tells the app to forget the previous one first).
template <class T> T work_of(const Effects& e) {
    const T* found = nullptr;
    for (const Effect& x : e) {
        if (const auto* t = std::get_if<T>(&x)) {
            EXPECT_EQ(found, nullptr) << "two pieces of work of one kind from one event";
            found = t;
        } else {
            EXPECT_TRUE(std::holds_alternative<fx::ForgetPatient>(x)) << "unexpected effect " << x.index();
        }
    }
    EXPECT_NE(found, nullptr) << "the expected effect is missing";
    return found ? *found : T{};
}

} // namespace kiosk::ui::testing
