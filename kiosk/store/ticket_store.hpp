#pragma once
#include "kiosk/core/site.hpp"
#include "kiosk/core/ticket.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp" // OutboxEntry and Outbox used to live here

#include <cstdint>
#include <memory>
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

    // patient: who the ticket is for, when the patient identified first; it travels to the HIS with the
    // ticket (Encounter.subject) and is not kept in the tickets table (find() returns it empty). A patient
    // registered at this kiosk (kiosk_patient_id, no his_id): the ticket's outbox row depends on the
    // registration's (Outbox), so it is sent after it and refers to the Patient by the HIS's id.
    core::Ticket issue(const core::KioskIdentity& kiosk, const core::Service& service, core::UnixMillis now,
                       const std::optional<core::PatientRef>& patient = std::nullopt);
    [[nodiscard]] std::optional<core::Ticket> find(const std::string& reference) const;
    [[nodiscard]] std::int64_t count() const;

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
    Outbox outbox_;
};

} // namespace kiosk::store
