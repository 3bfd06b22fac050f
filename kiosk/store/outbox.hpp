#pragma once
#include "kiosk/core/clock.hpp"
#include "kiosk/store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

// One record waiting for the HIS. TicketStore::issue writes it in the same transaction as the ticket.
struct OutboxEntry {
    std::int64_t id = 0;
    std::string aggregate_type; // "ticket"
    std::string aggregate_id;   // the ticket reference
    std::string operation;      // "create"
    std::string identifier;     // kiosk-generated business identifier, unique
    std::string payload_json;
    core::UnixMillis created_at = 0;
    int attempts = 0;                     // failed deliveries so far
    core::UnixMillis next_attempt_at = 0; // not delivered before this time (0: at once)
    std::string last_error;               // why the last delivery failed ("" when none did)

    friend bool operator==(const OutboxEntry&, const OutboxEntry&) = default;
};

// A record the HIS refused (or that failed too often), kept for staff in outbox_dead. Never retried by
// itself: staff read it, fix the cause and deal with it.
struct DeadLetter {
    std::int64_t id = 0;        // id in outbox_dead
    std::int64_t outbox_id = 0; // the id it had in the outbox
    std::string aggregate_type;
    std::string aggregate_id;
    std::string operation;
    std::string identifier;
    std::string payload_json;
    core::UnixMillis created_at = 0;
    int attempts = 0; // deliveries tried, the one that led here included
    core::UnixMillis failed_at = 0;
    std::string reason;

    friend bool operator==(const DeadLetter&, const DeadLetter&) = default;
};

// The upload queue the HIS sync engine drains, after PowerSync's upload queue: rows are FIFO by id, and
// a row leaves only when the HIS acknowledged it or it was quarantined as a dead letter.
//
// Order per aggregate: only the oldest row of each (aggregate_type, aggregate_id) is ever handed out, so
// a later change to a ticket never overtakes an earlier one that is waiting for its retry. Rows of other
// aggregates are not held up by it.
//
// Every method either completes or throws StoreError and leaves the database as it was.
class Outbox {
public:
    explicit Outbox(Database& db); // throws StoreError if the database has no outbox (not migrated)
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;
    ~Outbox();

    // The oldest `limit` rows, by id, due or not.
    [[nodiscard]] std::vector<OutboxEntry> peek(int limit) const;
    [[nodiscard]] std::int64_t count() const;

    // Up to `limit` rows to deliver now, oldest id first: next_attempt_at <= now, and no older row of the
    // same aggregate is still in the outbox (so at most one row per aggregate per batch).
    [[nodiscard]] std::vector<OutboxEntry> due(core::UnixMillis now, int limit) const;

    // When the sync worker should look again: the smallest next_attempt_at among the rows due() could
    // hand out once that time comes (rows behind an older row of their aggregate do not count: they wait
    // for that row). May lie in the past, meaning "now". nullopt when the outbox is empty.
    [[nodiscard]] std::optional<core::UnixMillis> next_due_at() const;

    // Everything one delivery attempt learned, applied in ONE transaction (one disk sync, not one per row):
    // delivered rows deleted, retries rescheduled, refused rows moved to the dead letters.
    struct Results {
        struct Retry {
            std::int64_t id;
            core::UnixMillis next_attempt_at;
            std::string error;
        };
        struct Refused {
            std::int64_t id;
            std::string reason;
        };
        std::vector<std::int64_t> delivered;
        std::vector<Retry> retry;
        std::vector<Refused> refused;
    };
    void record(const Results& results, core::UnixMillis now);

    // The HIS confirmed these rows: deletes them, all in one transaction. Ids no longer (or never) in the
    // outbox are ignored.
    void acknowledge(const std::vector<std::int64_t>& ids);

    // A delivery failed in a way worth retrying: attempts + 1, the time of the next try and the error.
    // An id not in the outbox is ignored.
    void retry_later(std::int64_t id, core::UnixMillis next_attempt_at, const std::string& error);

    // The HIS refused the row for good: in one transaction it is copied to outbox_dead (attempts + 1,
    // failed_at = now, reason) and deleted from the outbox. An id not in the outbox is ignored.
    //
    // Deliberate choice: the later rows of the same aggregate are NOT held back behind the dead letter;
    // they become due like any other head of the queue. Holding them would freeze that ticket's sync
    // until staff step in, while the HIS may well accept them; staff resolve the dead letter (which keeps
    // the original payload and outbox id) and its place in the sequence.
    void quarantine(std::int64_t id, const std::string& reason, core::UnixMillis now);

    // The newest `limit` dead letters (most recently quarantined first) and how many there are.
    [[nodiscard]] std::vector<DeadLetter> dead_letters(int limit) const;
    [[nodiscard]] std::int64_t dead_count() const;

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
