#include "kiosk/sync/sync_engine.hpp"

#include "kiosk/store/outbox_records.hpp"

#include <algorithm>
#include <charconv>

namespace kiosk::sync {
namespace {

constexpr const char* kOfflineSince = "his.offline_since";
constexpr const char* kLastError = "his.last_error";

std::optional<core::UnixMillis> to_millis(const std::optional<std::string>& s) {
    if (!s || s->empty()) return std::nullopt;
    core::UnixMillis v = 0;
    const auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    return ec == std::errc() && p == s->data() + s->size() ? std::optional(v) : std::nullopt;
}

// How one delivery batch went, as an exchange: unanswered, refused, failing, or answered.
his::Exchange delivery_exchange(const std::vector<his::DeliveryResult>& results) {
    his::Exchange out = his::Exchange::Answered;
    for (const auto& r : results) {
        if (r.unreachable) return his::Exchange::Unreachable;
        const long s = r.http_status;
        if (s == 401 || s == 403)
            out = his::Exchange::CredentialsRefused;
        else if ((s >= 500 || s == 429 || s == 408) && out == his::Exchange::Answered)
            out = his::Exchange::ServerError;
    }
    return out;
}

} // namespace

const char* link_name(HisLink l) {
    switch (l) {
    case HisLink::Unknown:
        return "unknown";
    case HisLink::Connected:
        return "connected";
    case HisLink::Sending:
        return "sending";
    case HisLink::Offline:
        return "offline";
    case HisLink::CredentialsRefused:
        return "credentials refused";
    case HisLink::ServerError:
        return "server error";
    case HisLink::SyncFailing:
        return "sync failing";
    }
    return "unknown";
}

std::chrono::milliseconds backoff_delay(const SyncSettings& s, int attempts, std::mt19937_64& rng) {
    const int doublings = std::clamp(attempts - 1, 0, 30);
    const auto capped =
        std::min<long long>(s.backoff_max.count(), s.backoff_base.count() << std::min(doublings, 20));
    std::uniform_int_distribution<long long> jitter(0, capped / 2);
    return std::chrono::milliseconds(capped - capped / 2 + jitter(rng));
}

SyncEngine::SyncEngine(store::Database& db, his::HisPort& port, const core::Clock& clock,
                       SyncSettings settings, std::uint64_t seed)
    : outbox_(db), state_(db), his_(port), clock_(clock), settings_(settings), rng_(seed) {
    // An outage survives restarts: the indicator keeps saying since when the HIS has been away.
    status_.offline_since = to_millis(state_.get(kOfflineSince));
    status_.last_error = state_.get(kLastError).value_or("");
    refresh_counts();
}

void SyncEngine::refresh_counts() {
    status_.waiting = outbox_.count();
    status_.quarantined = outbox_.dead_count();
    if (status_.waiting == 0) delivery_problem_ = his::Exchange::Answered; // nothing left that fails to go
}

void SyncEngine::reach(his::Exchange exchange) {
    if (exchange == his::Exchange::Stopping) return;
    if (exchange == his::Exchange::Unreachable) {
        status_.online = false;
        if (!status_.offline_since) status_.offline_since = clock_.now();
    } else {
        status_.online = true; // any HTTP answer, a refusal included, proves the HIS reachable
        status_.offline_since.reset();
    }
}

// Written only when something changed: observe() runs for every exchange.
void SyncEngine::persist_outage() {
    state_.set_many({{kOfflineSince, status_.offline_since ? std::to_string(*status_.offline_since) : ""},
                     {kLastError, status_.last_error}},
                    clock_.now());
}

void SyncEngine::observe(his::Exchange exchange) {
    switch (exchange) {
    case his::Exchange::Stopping:
        return; // the kiosk is stopping: nothing learnt about the HIS
    case his::Exchange::Answered:
        ++status_.exchanges.answered;
        break;
    case his::Exchange::Unreachable:
        ++status_.exchanges.unreachable;
        break;
    case his::Exchange::CredentialsRefused:
        ++status_.exchanges.credentials_refused;
        break;
    case his::Exchange::ServerError:
        ++status_.exchanges.server_error;
        break;
    }
    const auto since = status_.offline_since;
    reach(exchange);
    if (exchange != his::Exchange::Unreachable) other_problem_ = exchange;
    if (status_.offline_since != since) persist_outage(); // only when an outage starts or ends
}

void SyncEngine::remember(const std::string& error, his::Exchange delivery) {
    const auto since = status_.offline_since;
    reach(delivery);
    if (delivery != his::Exchange::Unreachable) delivery_problem_ = delivery;
    const bool error_changed = error != status_.last_error;
    status_.last_error = error;
    if (error_changed || status_.offline_since != since) persist_outage();
}

SyncStatus SyncEngine::run_once() {
    // The failure's text goes when a pass completes; what the HIS said before it is what stands then.
    if (pass_failed_) status_.last_error = error_before_failure_;
    for (;;) {
        const auto now = clock_.now();
        const auto due = outbox_.due(now, settings_.batch_size);
        if (due.empty()) break;
        // Each row read back into its record once, here; a row this build cannot read is refused like a
        // record the HIS refuses (quarantined for staff), without asking the HIS.
        std::vector<core::OutboundRecord> records;
        std::vector<std::size_t> sent; // index in due of each record
        std::vector<std::optional<std::string>> unreadable(due.size());
        for (std::size_t i = 0; i < due.size(); ++i) {
            std::string why;
            if (auto r = store::decode_outbox_record(due[i], why)) {
                records.push_back(std::move(*r));
                sent.push_back(i);
            } else {
                unreadable[i] = std::move(why);
            }
        }
        const auto answers = records.empty() ? std::vector<his::DeliveryResult>{} : his_.deliver(records);
        if (settings_.stop && settings_.stop->load()) break; // aborted, not failed: nothing to record
        std::vector<his::DeliveryResult> results(
            due.size(), his::DeliveryResult{his::Delivery::RetryLater, "no result for this record", {}});
        for (std::size_t k = 0; k < sent.size() && k < answers.size(); ++k)
            results[sent[k]] = answers[k];
        for (std::size_t i = 0; i < due.size(); ++i)
            if (unreadable[i]) results[i] = his::DeliveryResult{his::Delivery::Rejected, *unreadable[i], {}};

        store::Outbox::Results results_to_record;
        bool unreachable = false;
        bool must_wait = false;
        std::string error;
        for (std::size_t i = 0; i < due.size(); ++i) {
            const his::DeliveryResult r =
                i < results.size()
                    ? results[i]
                    : his::DeliveryResult{his::Delivery::RetryLater, "no result for this record", {}};
            switch (r.outcome) {
            case his::Delivery::Accepted:
            case his::Delivery::AlreadyExists:
                // What the HIS called it: the records that depend on this one refer to it by that id.
                results_to_record.delivered.push_back({due[i].id, r.resource});
                break;
            case his::Delivery::RetryLater: {
                auto wait = backoff_delay(settings_, due[i].attempts + 1, rng_);
                if (r.retry_after) wait = std::max<std::chrono::milliseconds>(wait, *r.retry_after);
                results_to_record.retry.push_back({due[i].id, now + wait.count(), r.detail});
                unreachable = unreachable || r.unreachable;
                must_wait = true;
                error = r.detail;
                break;
            }
            case his::Delivery::Rejected:
            case his::Delivery::Conflict:
                results_to_record.refused.push_back(
                    {due[i].id,
                     (r.outcome == his::Delivery::Conflict ? "conflict: " : "rejected: ") + r.detail});
                break;
            }
        }
        outbox_.record(results_to_record, now);
        const auto& delivered = results_to_record.delivered;
        status_.delivered_total += static_cast<std::int64_t>(delivered.size());
        // Only what went to the HIS says anything about it.
        if (!records.empty())
            remember(error, unreachable ? his::Exchange::Unreachable : delivery_exchange(answers));
        if (must_wait) break; // the HIS is struggling: the rest waits for the backoff
    }
    refresh_counts();
    pass_failed_ = false;
    return status();
}

void SyncEngine::pass_failed(const std::string& error) {
    if (!pass_failed_) error_before_failure_ = status_.last_error;
    pass_failed_ = true;
    status_.last_error = error;
}

std::optional<core::UnixMillis> SyncEngine::next_due_at() const {
    return outbox_.next_due_at();
}

SyncStatus SyncEngine::status() const {
    SyncStatus st = status_;
    const bool refused = delivery_problem_ == his::Exchange::CredentialsRefused ||
                         other_problem_ == his::Exchange::CredentialsRefused;
    const bool failing =
        delivery_problem_ == his::Exchange::ServerError || other_problem_ == his::Exchange::ServerError;
    if (pass_failed_)
        st.link = HisLink::SyncFailing; // nothing goes, whatever the HIS says
    else if (st.offline_since)
        st.link = HisLink::Offline;
    else if (!st.online)
        st.link = HisLink::Unknown;
    else if (refused)
        st.link = HisLink::CredentialsRefused;
    else if (failing)
        st.link = HisLink::ServerError;
    else
        st.link = st.waiting > 0 ? HisLink::Sending : HisLink::Connected;
    return st;
}

} // namespace kiosk::sync
