#include "kiosk/store/patient_registry.hpp"

#include "kiosk/core/ticket.hpp"
#include "kiosk/store/statement.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace kiosk::store {
namespace {

// Privacy: no message built in this file contains a detail of the patient. The kiosk_patient_id, the kiosk
// letter and the day may appear (they identify a registration, not a person).

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// <site>-<yyyymmdd>-P-<kiosk letter><sequence, at least 4 digits>, e.g. "BVDK-QN-20261130-P-A0007".
std::string kiosk_patient_id(const core::KioskIdentity& kiosk, const core::LocalDate& day,
                             std::int64_t sequence) {
    char seq[24];
    std::snprintf(seq, sizeof seq, "%04lld", static_cast<long long>(sequence));
    return kiosk.site_id + "-" + day.compact() + "-P-" + kiosk.kiosk_letter + seq;
}

// The outbox payload of patient/create (docs/patient-registration.md). Absent details are left out.
std::string outbox_payload(const RegisteredPatient& p, const core::KioskIdentity& kiosk,
                           const IdentifierSystems& systems) {
    const core::PatientDetails& d = p.details;
    nlohmann::json payload = {
        {"kiosk_patient_id", p.kiosk_patient_id},
        {"site_id", kiosk.site_id},
        {"kiosk_id", kiosk.kiosk_id},
        {"registered_at", p.registered_at},
        {"identifier_systems", {{"cccd", systems.cccd}, {"bhyt", systems.bhyt}}},
        {"full_name", d.full_name},
        {"sex", core::sex_code(d.sex)},
    };
    if (!d.cccd.empty()) payload["cccd"] = d.cccd;
    if (!d.bhyt.empty()) payload["bhyt"] = d.bhyt;
    if (d.birth_date) payload["birth_date"] = d.birth_date->iso();
    if (!d.address.empty()) payload["address"] = d.address;
    if (!d.phone.empty()) payload["phone"] = d.phone;
    return payload.dump();
}

// Binds text, or NULL for "not given".
void bind_optional(detail::Statement& s, int index, const std::string& value) {
    if (value.empty())
        s.bind_null(index);
    else
        s.bind_text(index, value);
}

// The columns read_patient() reads, in its order.
constexpr const char* kColumns =
    "kiosk_patient_id, cccd, bhyt, full_name, birth_date, sex, address, phone, registered_at";

RegisteredPatient read_patient(const detail::Statement& s, const std::string& db_path) {
    RegisteredPatient p;
    p.kiosk_patient_id = s.column_text(0);
    p.details.cccd = s.column_text(1); // NULL reads as "", "not given"
    p.details.bhyt = s.column_text(2);
    p.details.full_name = s.column_text(3);
    if (!s.column_is_null(4)) {
        const auto day = core::date_from_iso(s.column_text(4));
        if (!day)
            throw StoreError("database " + db_path + " holds kiosk patient " + p.kiosk_patient_id +
                             " with a malformed birth_date");
        p.details.birth_date = day;
    }
    const auto sex = core::sex_from_code(s.column_text(5));
    if (!sex)
        throw StoreError("database " + db_path + " holds kiosk patient " + p.kiosk_patient_id +
                         " with an unknown sex code");
    p.details.sex = *sex;
    p.details.address = s.column_text(6);
    p.details.phone = s.column_text(7);
    p.registered_at = s.column_int64(8);
    return p;
}

} // namespace

struct PatientRegistry::Statements {
    explicit Statements(const Database& db)
        : next_sequence(db, "INSERT INTO kiosk_patient_counters (kiosk_letter, register_day, last_sequence) "
                            "VALUES (?1, ?2, 1) "
                            "ON CONFLICT (kiosk_letter, register_day) "
                            "DO UPDATE SET last_sequence = last_sequence + 1 "
                            "RETURNING last_sequence"),
          insert_patient(db, std::string("INSERT INTO kiosk_patients (") + kColumns +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
          find_by_cccd(db,
                       std::string("SELECT ") + kColumns +
                           " FROM kiosk_patients WHERE cccd = ?1 ORDER BY registered_at, kiosk_patient_id"),
          find_by_bhyt(db,
                       std::string("SELECT ") + kColumns +
                           " FROM kiosk_patients WHERE bhyt = ?1 ORDER BY registered_at, kiosk_patient_id"),
          // Delivered: no row of the registration left in the outbox (still to send) nor in the dead letters
          // (the HIS refused it: staff have to deal with it, and the HIS does not have the patient).
          forget(db, "DELETE FROM kiosk_patients AS p WHERE p.registered_at < ?1 "
                     "AND NOT EXISTS (SELECT 1 FROM outbox AS o "
                     "WHERE o.aggregate_type = 'patient' AND o.aggregate_id = p.kiosk_patient_id) "
                     "AND NOT EXISTS (SELECT 1 FROM outbox_dead AS d "
                     "WHERE d.aggregate_type = 'patient' AND d.aggregate_id = p.kiosk_patient_id)"),
          // The dead letters of registrations the HIS refused hold the whole registration (payload) and the
          // HIS's reason, which can quote the Patient: kept for staff for the retention, not longer.
          forget_dead(db, "DELETE FROM outbox_dead WHERE aggregate_type = 'patient' AND failed_at < ?1"),
          count(db, "SELECT count(*) FROM kiosk_patients") {}

    detail::Statement next_sequence;
    detail::Statement insert_patient;
    detail::Statement find_by_cccd;
    detail::Statement find_by_bhyt;
    detail::Statement forget;
    detail::Statement forget_dead;
    detail::Statement count;
};

PatientRegistry::PatientRegistry(Database& db)
    : db_(db), st_(std::make_unique<Statements>(db)), outbox_(db) {}

PatientRegistry::~PatientRegistry() = default;

RegisteredPatient PatientRegistry::register_patient(const core::KioskIdentity& kiosk,
                                                    const core::PatientDetails& details,
                                                    const IdentifierSystems& systems, core::UnixMillis now) {
    if (details.cccd.empty() && details.bhyt.empty())
        throw std::invalid_argument("a patient can only be registered with a CCCD or a BHYT number");
    if (blank(details.full_name)) throw std::invalid_argument("a patient can only be registered with a name");
    if (kiosk.site_id.empty()) throw std::invalid_argument("the kiosk has no site id");
    if (kiosk.kiosk_letter < 'A' || kiosk.kiosk_letter > 'Z')
        throw std::invalid_argument("the kiosk letter must be one of A-Z");
    if ((!details.cccd.empty() && systems.cccd.empty()) || (!details.bhyt.empty() && systems.bhyt.empty()))
        throw std::invalid_argument("the identifier system of a given CCCD or BHYT number is empty");
    try {
        // The payload is JSON: text that is not UTF-8 would fail half-way through the transaction, and
        // nlohmann's message would quote the offending byte.
        (void)nlohmann::json{details.cccd, details.bhyt, details.full_name, details.address, details.phone,
                             systems.cccd, systems.bhyt, kiosk.site_id,     kiosk.kiosk_id}
            .dump();
    } catch (const nlohmann::json::exception&) {
        throw std::invalid_argument(
            "the patient details, identifier systems or kiosk identity are not UTF-8");
    }

    const core::LocalDate day = core::local_date(now, kiosk.utc_offset_minutes);
    const std::string day_iso = day.iso();
    const std::string letter(1, kiosk.kiosk_letter);
    try {
        detail::Transaction tx(db_);

        // Already registered here? Decided inside the write transaction, so two connections registering the
        // same person at once cannot both insert.
        const auto existing = details.cccd.empty() ? find_by_bhyt(details.bhyt) : find_by_cccd(details.cccd);
        if (!existing.empty()) {
            tx.commit();
            return existing.front();
        }

        std::int64_t sequence = 0;
        {
            auto& s = st_->next_sequence;
            const auto reset = s.scoped();
            s.bind_text(1, letter).bind_text(2, day_iso);
            if (!s.step()) throw StoreError("the patient counter returned no sequence");
            sequence = s.column_int64(0);
        }
        if (sequence < 1 || sequence > std::numeric_limits<int>::max())
            throw StoreError("the patient counter holds an impossible sequence " + std::to_string(sequence));

        RegisteredPatient p;
        p.kiosk_patient_id = kiosk_patient_id(kiosk, day, sequence);
        p.details = details;
        p.registered_at = now;
        {
            const core::PatientDetails& d = p.details;
            auto& s = st_->insert_patient;
            const auto reset = s.scoped();
            s.bind_text(1, p.kiosk_patient_id);
            bind_optional(s, 2, d.cccd);
            bind_optional(s, 3, d.bhyt);
            s.bind_text(4, d.full_name);
            bind_optional(s, 5, d.birth_date ? d.birth_date->iso() : std::string());
            s.bind_text(6, core::sex_code(d.sex));
            bind_optional(s, 7, d.address);
            bind_optional(s, 8, d.phone);
            s.bind_int64(9, p.registered_at);
            s.run();
        }
        outbox_.add({"patient", p.kiosk_patient_id, "create", p.kiosk_patient_id,
                     outbox_payload(p, kiosk, systems), std::nullopt},
                    now);

        tx.commit();
        return p;
    } catch (const std::exception& e) {
        // Rolled back by now: no counter step, no patient row, no outbox row. e.what() comes from SQLite
        // or this file and names tables and columns, never values.
        throw StoreError("could not register a patient at kiosk " + letter + " on " + day_iso +
                         " (nothing was written): " + e.what());
    }
}

std::vector<RegisteredPatient> PatientRegistry::find_by_cccd(const std::string& cccd) const {
    std::vector<RegisteredPatient> found;
    if (cccd.empty()) return found;
    auto& s = st_->find_by_cccd;
    const auto reset = s.scoped();
    s.bind_text(1, cccd);
    while (s.step())
        found.push_back(read_patient(s, db_.path().string()));
    return found;
}

std::vector<RegisteredPatient> PatientRegistry::find_by_bhyt(const std::string& bhyt) const {
    std::vector<RegisteredPatient> found;
    if (bhyt.empty()) return found;
    auto& s = st_->find_by_bhyt;
    const auto reset = s.scoped();
    s.bind_text(1, bhyt);
    while (s.step())
        found.push_back(read_patient(s, db_.path().string()));
    return found;
}

std::int64_t PatientRegistry::forget_delivered_older_than(core::UnixMillis cutoff) {
    // One statement, so atomic by itself.
    auto& s = st_->forget;
    const auto reset = s.scoped();
    s.bind_int64(1, cutoff);
    s.run();
    return static_cast<std::int64_t>(sqlite3_changes64(db_.handle()));
}

std::int64_t PatientRegistry::forget_older_than(core::UnixMillis cutoff) {
    // Freed pages are overwritten with zeros, so the deleted personal data does not linger in the file.
    detail::exec_sql(db_.handle(), db_.path().string(), "PRAGMA secure_delete = ON");
    try {
        detail::Transaction tx(db_);
        std::int64_t forgotten = 0;
        for (detail::Statement* s : {&st_->forget_dead, &st_->forget}) {
            const auto reset = s->scoped();
            s->bind_int64(1, cutoff);
            s->run();
            forgotten += static_cast<std::int64_t>(sqlite3_changes64(db_.handle()));
        }
        outbox_.forget_delivered_older_than(cutoff);
        tx.commit();
        return forgotten;
    } catch (const std::exception& e) {
        throw StoreError(std::string("could not forget old registrations (nothing was deleted): ") +
                         e.what());
    }
}

std::int64_t PatientRegistry::count() const {
    auto& s = st_->count;
    const auto reset = s.scoped();
    if (!s.step()) return 0;
    return s.column_int64(0);
}

} // namespace kiosk::store
