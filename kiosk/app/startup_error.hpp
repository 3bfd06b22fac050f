#pragma once
#include <stdexcept>

namespace kiosk::app {

// A start-up failure with one message for IT staff: what failed and where.
class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace kiosk::app
