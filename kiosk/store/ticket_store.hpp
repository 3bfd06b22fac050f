#pragma once
#include "kiosk/core/site.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

// Issues queue tickets. issue() writes, in ONE transaction: the next sequence number for
// (kiosk letter, service, local day), the ticket row, and an outbox row carrying the ticket for the
// future HIS sync. Either all three are durable when it returns, or none is and it throws StoreError.
class TicketStore {
public:
    explicit TicketStore(Database& db);
    TicketStore(const TicketStore&) = delete;
    TicketStore& operator=(const TicketStore&) = delete;
    ~TicketStore();

    core::Ticket issue(const core::KioskIdentity& kiosk, const core::Service& service, core::UnixMillis now);
    [[nodiscard]] std::optional<core::Ticket> find(const std::string& reference) const;
    [[nodiscard]] std::int64_t count() const;

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

// The upload queue the HIS sync will drain (its own issue). Rows are FIFO by id; a row leaves only when
// the HIS acknowledged it.
struct OutboxEntry {
    std::int64_t id = 0;
    std::string aggregate_type; // "ticket"
    std::string aggregate_id;   // the ticket reference
    std::string operation;      // "create"
    std::string identifier;     // kiosk-generated business identifier, unique
    std::string payload_json;
    core::UnixMillis created_at = 0;
    int attempts = 0;
};

class Outbox {
public:
    explicit Outbox(Database& db) : db_(db) {}
    [[nodiscard]] std::vector<OutboxEntry> peek(int limit) const; // oldest first
    [[nodiscard]] std::int64_t count() const;

private:
    Database& db_;
};

} // namespace kiosk::store
