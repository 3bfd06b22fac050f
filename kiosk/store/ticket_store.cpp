#include "kiosk/store/ticket_store.hpp"

#include "kiosk/store/statement.hpp"

#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <string_view>

namespace kiosk::store {
namespace {

std::string outbox_payload(const core::Ticket& t, const core::KioskIdentity& kiosk) {
    nlohmann::json payload = {
        {"reference", t.reference},
        {"display_number", t.display_number},
        {"service_code", t.service_code},
        {"service_day", t.service_day.iso()},
        {"sequence", t.sequence},
        {"issued_at", t.issued_at},
        {"issued_at_local", core::local_datetime_rfc3339(t.issued_at, kiosk.utc_offset_minutes)},
        {"site_id", t.site_id},
        {"kiosk_id", t.kiosk_id},
        {"kiosk_letter", std::string(1, kiosk.kiosk_letter)},
    };
    if (t.patient) {
        nlohmann::json p = nlohmann::json::object();
        if (!t.patient->his_id.empty()) p["his_id"] = t.patient->his_id;
        if (!t.patient->kiosk_patient_id.empty()) p["kiosk_patient_id"] = t.patient->kiosk_patient_id;
        payload["patient"] = std::move(p);
    }
    return payload.dump();
}

} // namespace

struct TicketStore::Statements {
    explicit Statements(const Database& db)
        : next_sequence(
              db, "INSERT INTO ticket_counters (kiosk_letter, service_code, service_day, last_sequence) "
                  "VALUES (?1, ?2, ?3, 1) "
                  "ON CONFLICT (kiosk_letter, service_code, service_day) "
                  "DO UPDATE SET last_sequence = last_sequence + 1 "
                  "RETURNING last_sequence"),
          insert_ticket(
              db, "INSERT INTO tickets (reference, display_number, service_code, service_day, sequence, "
                  "kiosk_letter, site_id, kiosk_id, issued_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
          find_ticket(db, "SELECT reference, display_number, service_code, service_day, sequence, issued_at, "
                          "site_id, kiosk_id "
                          "FROM tickets WHERE reference = ?1"),
          count_tickets(db, "SELECT count(*) FROM tickets") {}

    detail::Statement next_sequence;
    detail::Statement insert_ticket;
    detail::Statement find_ticket;
    detail::Statement count_tickets;
};

TicketStore::TicketStore(Database& db) : db_(db), st_(std::make_unique<Statements>(db)), outbox_(db) {}

TicketStore::~TicketStore() = default;

core::Ticket TicketStore::issue(const core::KioskIdentity& kiosk, const core::Service& service,
                                core::UnixMillis now, const std::optional<core::PatientRef>& patient) {
    const core::LocalDate day = core::local_date(now, kiosk.utc_offset_minutes);
    const std::string day_iso = day.iso();
    const std::string letter(1, kiosk.kiosk_letter);
    try {
        detail::Transaction tx(db_);

        std::int64_t sequence = 0;
        {
            auto& s = st_->next_sequence;
            const auto reset = s.scoped();
            s.bind_text(1, letter).bind_text(2, service.code).bind_text(3, day_iso);
            if (!s.step()) throw StoreError("the ticket counter returned no sequence");
            sequence = s.column_int64(0);
        }
        if (sequence < 1 || sequence > std::numeric_limits<int>::max())
            throw StoreError("the ticket counter holds an impossible sequence " + std::to_string(sequence));

        core::Ticket t;
        t.sequence = static_cast<int>(sequence);
        t.reference = core::ticket_reference(kiosk, service, day, t.sequence);
        t.display_number = core::ticket_display_number(service, kiosk.kiosk_letter, t.sequence);
        t.service_code = service.code;
        t.service_day = day;
        t.issued_at = now;
        t.site_id = kiosk.site_id;
        t.kiosk_id = kiosk.kiosk_id;
        if (patient && (!patient->his_id.empty() || !patient->kiosk_patient_id.empty())) t.patient = patient;

        {
            auto& s = st_->insert_ticket;
            const auto reset = s.scoped();
            s.bind_text(1, t.reference)
                .bind_text(2, t.display_number)
                .bind_text(3, t.service_code)
                .bind_text(4, day_iso)
                .bind_int64(5, sequence)
                .bind_text(6, letter)
                .bind_text(7, t.site_id)
                .bind_text(8, t.kiosk_id)
                .bind_int64(9, t.issued_at);
            s.run();
        }
        // A patient registered at this kiosk but not known to the HIS by id: the ticket refers to that
        // registration, so it waits for it and then names the Patient by the id the HIS answered with.
        std::optional<std::int64_t> depends_on;
        if (t.patient && t.patient->his_id.empty() && !t.patient->kiosk_patient_id.empty())
            depends_on = outbox_.find_record("patient", t.patient->kiosk_patient_id);
        outbox_.add({"ticket", t.reference, "create", t.reference, outbox_payload(t, kiosk), depends_on},
                    now);

        tx.commit();
        return t;
    } catch (const std::exception& e) {
        // The transaction has been rolled back by now: no counter step, no ticket, no outbox row.
        throw StoreError("could not issue a ticket for service " + service.code + " on " + day_iso +
                         " (nothing was written): " + e.what());
    }
}

std::optional<core::Ticket> TicketStore::find(const std::string& reference) const {
    auto& s = st_->find_ticket;
    const auto reset = s.scoped();
    s.bind_text(1, reference);
    if (!s.step()) return std::nullopt;
    core::Ticket t;
    t.reference = s.column_text(0);
    t.display_number = s.column_text(1);
    t.service_code = s.column_text(2);
    const std::string day = s.column_text(3);
    const auto service_day = core::date_from_iso(day);
    if (!service_day)
        throw StoreError("database " + db_.path().string() + " holds ticket " + reference +
                         " with a malformed service_day '" + day + "'");
    t.service_day = *service_day;
    t.sequence = static_cast<int>(s.column_int64(4));
    t.issued_at = s.column_int64(5);
    t.site_id = s.column_text(6);
    t.kiosk_id = s.column_text(7);
    return t;
}

std::int64_t TicketStore::count() const {
    auto& s = st_->count_tickets;
    const auto reset = s.scoped();
    if (!s.step()) return 0;
    return s.column_int64(0);
}

} // namespace kiosk::store
