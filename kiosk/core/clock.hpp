#pragma once
#include <cstdint>

namespace kiosk::core {

// Milliseconds since the Unix epoch (UTC).
using UnixMillis = std::int64_t;

// Source of "now"; injected so tests and benchmarks control time.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual UnixMillis now() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] UnixMillis now() const override;
};

// A clock tests move by hand.
class ManualClock final : public Clock {
public:
    explicit ManualClock(UnixMillis start) : now_(start) {}
    [[nodiscard]] UnixMillis now() const override { return now_; }
    void set(UnixMillis t) { now_ = t; }
    void advance(UnixMillis ms) { now_ += ms; }

private:
    UnixMillis now_;
};

} // namespace kiosk::core
