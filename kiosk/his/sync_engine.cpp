#include "kiosk/his/sync_engine.hpp"

#include <algorithm>
#include <charconv>

namespace kiosk::his {
namespace {

constexpr const char* kOfflineSince = "his.offline_since";
constexpr const char* kLastError = "his.last_error";

std::optional<core::UnixMillis> to_millis(const std::optional<std::string>& s) {
    if (!s || s->empty()) return std::nullopt;
    core::UnixMillis v = 0;
    const auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    return ec == std::errc() && p == s->data() + s->size() ? std::optional(v) : std::nullopt;
}

} // namespace

std::chrono::milliseconds backoff_delay(const SyncSettings& s, int attempts, std::mt19937_64& rng) {
    const int doublings = std::clamp(attempts - 1, 0, 30);
    const auto capped =
        std::min<long long>(s.backoff_max.count(), s.backoff_base.count() << std::min(doublings, 20));
    std::uniform_int_distribution<long long> jitter(0, capped / 2);
    return std::chrono::milliseconds(capped - capped / 2 + jitter(rng));
}

SyncEngine::SyncEngine(store::Database& db, HisPort& his, const core::Clock& clock, SyncSettings settings,
                       std::uint64_t seed)
    : outbox_(db), state_(db), his_(his), clock_(clock), settings_(settings), rng_(seed) {
    // An outage survives restarts: the indicator keeps saying since when the HIS has been away.
    status_.offline_since = to_millis(state_.get(kOfflineSince));
    status_.last_error = state_.get(kLastError).value_or("");
    refresh_counts();
}

void SyncEngine::refresh_counts() {
    status_.waiting = outbox_.count();
    status_.quarantined = outbox_.dead_count();
}

void SyncEngine::remember(const std::string& error, bool reached) {
    const auto now = clock_.now();
    status_.online = reached;
    if (reached)
        status_.offline_since.reset();
    else if (!status_.offline_since)
        status_.offline_since = now;
    status_.last_error = error;
    state_.set_many({{kOfflineSince, status_.offline_since ? std::to_string(*status_.offline_since) : ""},
                     {kLastError, error}},
                    now);
}

SyncStatus SyncEngine::run_once() {
    for (;;) {
        const auto now = clock_.now();
        const auto due = outbox_.due(now, settings_.batch_size);
        if (due.empty()) break;
        const auto results = his_.deliver(due);

        store::Outbox::Results results_to_record;
        bool unreachable = false;
        bool must_wait = false;
        std::string error;
        for (std::size_t i = 0; i < due.size(); ++i) {
            const DeliveryResult r =
                i < results.size() ? results[i]
                                   : DeliveryResult{Delivery::RetryLater, "no result for this record", {}};
            switch (r.outcome) {
            case Delivery::Accepted:
            case Delivery::AlreadyExists:
                // What the HIS called it: the records that depend on this one refer to it by that id.
                results_to_record.delivered.push_back({due[i].id, r.resource});
                break;
            case Delivery::RetryLater: {
                auto wait = backoff_delay(settings_, due[i].attempts + 1, rng_);
                if (r.retry_after) wait = std::max<std::chrono::milliseconds>(wait, *r.retry_after);
                results_to_record.retry.push_back({due[i].id, now + wait.count(), r.detail});
                unreachable = unreachable || r.unreachable;
                must_wait = true;
                error = r.detail;
                break;
            }
            case Delivery::Rejected:
            case Delivery::Conflict:
                results_to_record.refused.push_back(
                    {due[i].id, (r.outcome == Delivery::Conflict ? "conflict: " : "rejected: ") + r.detail});
                break;
            }
        }
        outbox_.record(results_to_record, now);
        const auto& delivered = results_to_record.delivered;
        status_.delivered_total += static_cast<std::int64_t>(delivered.size());
        remember(error, !unreachable);
        if (must_wait) break; // the HIS is struggling: the rest waits for the backoff
    }
    refresh_counts();
    return status_;
}

std::optional<core::UnixMillis> SyncEngine::next_due_at() const {
    return outbox_.next_due_at();
}

SyncStatus SyncEngine::status() const {
    return status_;
}

} // namespace kiosk::his
