#pragma once
// Drains the outbox to the HIS: exactly once on the server (conditional creates on kiosk identifiers),
// in order per aggregate, with exponential backoff and jitter while the HIS is away, and a dead-letter
// table for what the HIS refuses. Runs on its own worker thread with its own SQLite connection.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/his_port.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/sync_state.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace kiosk::his {

struct SyncSettings {
    int batch_size = 50; // records per request when the queue is long
    std::chrono::milliseconds backoff_base{2000};
    std::chrono::milliseconds backoff_max{5 * 60 * 1000};
};

struct SyncStatus {
    bool online = false;                           // the last attempt reached the HIS
    std::optional<core::UnixMillis> offline_since; // first failed attempt of the current outage
    std::int64_t waiting = 0;                      // outbox rows not yet acknowledged
    std::int64_t quarantined = 0;                  // rows the HIS refused (admin mode shows them)
    std::string last_error;                        // for staff; never patient data
    std::int64_t delivered_total = 0;              // acknowledged in this process's lifetime
};

// Backoff before attempt number `attempts` (1 = the first retry): base * 2^(attempts-1), capped, with
// "equal jitter" (half fixed, half random) so kiosks that lost the HIS together do not return together.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const SyncSettings& s, int attempts,
                                                      std::mt19937_64& rng);

class SyncEngine {
public:
    SyncEngine(store::Database& db, HisPort& his, const core::Clock& clock, SyncSettings settings,
               std::uint64_t seed);

    // Delivers everything due now, batch after batch, until nothing is due or the HIS is unreachable.
    SyncStatus run_once();
    [[nodiscard]] std::optional<core::UnixMillis> next_due_at() const;
    [[nodiscard]] SyncStatus status() const;

private:
    void remember(const std::string& error, bool reached);
    void refresh_counts();

    store::Outbox outbox_;
    store::SyncState state_;
    HisPort& his_;
    const core::Clock& clock_;
    SyncSettings settings_;
    std::mt19937_64 rng_;
    SyncStatus status_;
};

} // namespace kiosk::his
