#pragma once
// Drains the outbox to the HIS: exactly once on the server (conditional creates on kiosk identifiers),
// in order per aggregate, with exponential backoff and jitter while the HIS is away, and a dead-letter
// table for what the HIS refuses. Runs on its own worker thread with its own SQLite connection.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/his_port.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"
#include "kiosk/store/sync_state.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace kiosk::sync {

struct SyncSettings {
    int batch_size = 50; // records per request when the queue is long
    std::chrono::milliseconds backoff_base{2000};
    std::chrono::milliseconds backoff_max{5 * 60 * 1000};
    // The process-wide stop flag (TransportOptions::stop): a batch cut short by it is not recorded as an
    // attempt; its rows go again at the next start.
    const std::atomic<bool>* stop = nullptr;
};

// What the connectivity indicator says about the HIS (SyncStatus::link).
enum class HisLink {
    Unknown,            // nothing exchanged with the HIS yet in this process, and no outage remembered
    Connected,          // the HIS answers and nothing waits
    Sending,            // the HIS answers; records wait their turn
    Offline,            // no answer from the HIS since offline_since
    CredentialsRefused, // the HIS (or its token endpoint) refuses the kiosk's credentials: 401/403
    ServerError,        // the HIS answers with server errors (5xx, 429, 408): it cannot serve us now
    SyncFailing,        // the kiosk's own side fails (its database locked, corrupt or on a full disk): the
                        // sync retries with backoff; last_error says what failed
};
[[nodiscard]] const char* link_name(HisLink l); // "connected", "sending", "offline", ... (logs)

// Exchanges with the HIS in this process's lifetime, by what they said (SyncEngine::observe), for the
// metrics: deliveries, lookups, reference downloads and token fetches alike.
struct HisExchangeCounts {
    std::int64_t answered = 0;
    std::int64_t unreachable = 0;
    std::int64_t credentials_refused = 0;
    std::int64_t server_error = 0;
    friend bool operator==(const HisExchangeCounts&, const HisExchangeCounts&) = default;
};

struct SyncStatus {
    bool online = false;                           // the last exchange with the HIS got an HTTP answer
    std::optional<core::UnixMillis> offline_since; // first unanswered exchange of the current outage
    std::int64_t waiting = 0;                      // outbox rows not yet acknowledged
    std::int64_t quarantined = 0;                  // rows the HIS refused (admin mode shows them)
    std::string last_error;                        // for staff; never patient data
    std::int64_t delivered_total = 0;              // acknowledged in this process's lifetime
    HisLink link = HisLink::Unknown;               // what the indicator says
    HisExchangeCounts exchanges;                   // every observed exchange, by kind
    friend bool operator==(const SyncStatus&, const SyncStatus&) = default;
};

// Backoff before attempt number `attempts` (1 = the first retry): base * 2^(attempts-1), capped, with
// "equal jitter" (half fixed, half random) so kiosks that lost the HIS together do not return together.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const SyncSettings& s, int attempts,
                                                      std::mt19937_64& rng);

class SyncEngine {
public:
    SyncEngine(store::Database& db, his::HisPort& port, const core::Clock& clock, SyncSettings settings,
               std::uint64_t seed);

    // Delivers everything due now, batch after batch, until nothing is due or the HIS is unreachable.
    SyncStatus run_once();
    [[nodiscard]] std::optional<core::UnixMillis> next_due_at() const;
    [[nodiscard]] SyncStatus status() const;

    // One exchange with the HIS, whatever it was for (a lookup, a reference download page, a token fetch,
    // a delivery: ObservedTransport calls this): counted, and any answer proves the HIS reachable (an
    // outage ends), any unanswered exchange starts an outage. A refusal (401/403) or a server error shows
    // until an answer of the same kind of exchange clears it; the deliveries' own refusals and errors
    // (from run_once) show while records wait, whatever the other exchanges say.
    void observe(his::Exchange exchange);

    // A pass of the sync failed on the kiosk's side (an exception from the store, the mapping, ...): the
    // status shows SyncFailing with `error` (no patient data) until a pass completes. Writes nothing to the
    // database (it may be what failed).
    void pass_failed(const std::string& error);

private:
    void remember(const std::string& error, his::Exchange delivery);
    void reach(his::Exchange exchange);
    void refresh_counts();
    void persist_outage();

    store::Outbox outbox_;
    store::SyncState state_;
    his::HisPort& his_;
    const core::Clock& clock_;
    SyncSettings settings_;
    std::mt19937_64 rng_;
    SyncStatus status_;
    his::Exchange delivery_problem_ =
        his::Exchange::Answered; // the last delivery batch's refusal or server error
    his::Exchange other_problem_ =
        his::Exchange::Answered;       // the last observed exchange's refusal or server error
    bool pass_failed_ = false;         // the last pass threw (pass_failed)
    std::string error_before_failure_; // last_error as it was before that
};

} // namespace kiosk::sync
