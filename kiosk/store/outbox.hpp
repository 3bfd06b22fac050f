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
    // The outbox record this one refers to and waits for (e.g. a ticket for a patient registered at the
    // kiosk waits for that registration); nullopt when none.
    std::optional<std::int64_t> depends_on = {};
    // Once that record is delivered: what the HIS called it, "<type>/<HIS id>" (e.g. "Patient/123"); ""
    // while it waits, without a dependency, or when the dependency is no longer known.
    std::string depends_on_resource = {};

    friend bool operator==(const OutboxEntry&, const OutboxEntry&) = default;
};

// What a store writes into the outbox (Outbox::add).
struct NewOutboxRecord {
    std::string aggregate_type;
    std::string aggregate_id;
    std::string operation;
    std::string identifier;
    std::string payload_json;
    std::optional<std::int64_t> depends_on = {}; // outbox id of the record it refers to (find_record)
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
    std::optional<std::int64_t> depends_on = {}; // as it was in the outbox

    friend bool operator==(const DeadLetter&, const DeadLetter&) = default;
};

// The upload queue the HIS sync engine drains, after PowerSync's upload queue: rows are FIFO by id, and
// a row leaves only when the HIS acknowledged it or it was quarantined as a dead letter.
//
// Order per aggregate: only the oldest row of each (aggregate_type, aggregate_id) is ever handed out, so
// a later change to a ticket never overtakes an earlier one that is waiting for its retry. Rows of other
// aggregates are not held up by it.
//
// Dependencies: a record may name another outbox record it refers to (depends_on). It is not handed out
// while that record is still in the outbox, and when it is handed out it carries what the HIS called
// that record (depends_on_resource, kept in outbox_delivered), so it can refer to the HIS's own id. A
// record whose dependency the HIS refused is never sent with a reference the HIS cannot resolve: it is
// moved to the dead letters with it (in the same transaction), its reason saying "held: ..." and which
// record it waited for, so staff see both the refused record and every record held because of it (the
// indicator's quarantined count includes them). The same happens to a record added after its dependency
// was refused: add() puts it straight into the dead letters.
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

    // The one place records enter the outbox: TicketStore and PatientRegistry call it inside their own
    // write transaction, so the domain row and its outbox row commit together (throws StoreError when no
    // transaction is open). Returns the record's outbox id. A record whose dependency is a dead letter
    // already goes straight to the dead letters (see above); its id is then the one it would have had.
    std::int64_t add(const NewOutboxRecord& record, core::UnixMillis now);

    // The outbox id of the newest record of this aggregate, wherever it is now: still waiting, delivered
    // (outbox_delivered) or refused (outbox_dead); nullopt when the outbox never had one (or forgot it).
    [[nodiscard]] std::optional<std::int64_t> find_record(const std::string& aggregate_type,
                                                          const std::string& aggregate_id) const;
    [[nodiscard]] std::int64_t count() const;

    // Up to `limit` rows to deliver now, oldest id first: next_attempt_at <= now, no older row of the
    // same aggregate is still in the outbox (so at most one row per aggregate per batch), and the row it
    // depends on, if any, is no longer in the outbox (so never in the same batch as it).
    [[nodiscard]] std::vector<OutboxEntry> due(core::UnixMillis now, int limit) const;

    // When the sync worker should look again: the smallest next_attempt_at among the rows due() could
    // hand out once that time comes (rows behind an older row of their aggregate do not count: they wait
    // for that row, as do rows waiting for their dependency). May lie in the past, meaning "now". nullopt
    // when the outbox is empty.
    [[nodiscard]] std::optional<core::UnixMillis> next_due_at() const;

    // Everything one delivery attempt learned, applied in ONE transaction (one disk sync, not one per row):
    // delivered rows deleted (what the HIS called them kept in outbox_delivered), retries rescheduled,
    // refused rows moved to the dead letters together with the rows that depend on them.
    struct Results {
        struct Delivered {
            std::int64_t id;
            std::string resource; // "<type>/<HIS id>", "" when unknown
        };
        struct Retry {
            std::int64_t id;
            core::UnixMillis next_attempt_at;
            std::string error;
        };
        struct Refused {
            std::int64_t id;
            std::string reason;
        };
        std::vector<Delivered> delivered;
        std::vector<Retry> retry;
        std::vector<Refused> refused;
    };
    // Ids no longer (or never) in the outbox are ignored. A refused row is copied to outbox_dead (attempts
    // + 1, failed_at = now, reason); a retried one gets attempts + 1, its next try and the error.
    //
    // Deliberate choice: the later rows of the same aggregate are NOT held back behind a dead letter; they
    // become due like any other head of the queue. Holding them would freeze that ticket's sync until
    // staff step in, while the HIS may well accept them; staff resolve the dead letter (which keeps the
    // original payload and outbox id) and its place in the sequence. (Records that depend on a refused
    // one are held: see above.)
    void record(const Results& results, core::UnixMillis now);

    // The newest `limit` dead letters (most recently quarantined first) and how many there are.
    [[nodiscard]] std::vector<DeadLetter> dead_letters(int limit) const;
    [[nodiscard]] std::int64_t dead_count() const;

    // What the HIS called the delivered record with this outbox id ("<type>/<HIS id>", "" if it named
    // none); nullopt when no delivered record has that id (never delivered, or forgotten).
    [[nodiscard]] std::optional<std::string> delivered_resource(std::int64_t outbox_id) const;

    // Forgets delivered records (outbox_delivered) delivered before cutoff that no record in the outbox
    // still depends on. Returns how many. Retention: called with the patient retention.
    std::int64_t forget_delivered_older_than(core::UnixMillis cutoff);

private:
    // Moves one row to the dead letters (attempted: the delivery that led here counts as an attempt).
    void to_dead(std::int64_t id, const std::string& reason, core::UnixMillis now, bool attempted);
    void hold_dependants(std::int64_t refused_id, core::UnixMillis now);
    [[nodiscard]] std::string held_reason(std::int64_t dependency) const;

    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
