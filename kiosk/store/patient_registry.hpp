#pragma once
// Patients who registered at this kiosk (table kiosk_patients of migration 5). Registering writes, in ONE
// transaction, the patient row and an outbox row "patient"/"create" that the sync engine turns into a FHIR
// Patient; until the HIS has it, find() still recognises the patient offline.
//
// Holds personal data: nothing here logs, and error messages never contain identifier values or names.
// Every write either completes or throws StoreError and leaves the database as it was.
#include "kiosk/core/identifier_systems.hpp"
#include "kiosk/core/identity.hpp"
#include "kiosk/core/site.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/outbox.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

// The identifier systems (URIs) the HIS stores CCCD and BHYT numbers under; the site configures them
// (defaults: kiosk/core/identifier_systems.hpp).
struct IdentifierSystems {
    std::string cccd = core::kDefaultCccdSystem;
    std::string bhyt = core::kDefaultBhytSystem;
};

struct RegisteredPatient {
    std::string kiosk_patient_id; // kiosk-generated business identifier, e.g. "BVDK-QN-20261130-P-A0007"
    core::PatientDetails details;
    core::UnixMillis registered_at = 0;

    friend bool operator==(const RegisteredPatient&, const RegisteredPatient&) = default;
};

class PatientRegistry {
public:
    explicit PatientRegistry(Database& db); // throws StoreError if not migrated
    PatientRegistry(const PatientRegistry&) = delete;
    PatientRegistry& operator=(const PatientRegistry&) = delete;
    ~PatientRegistry();

    // Stores a new patient and queues it for the HIS (outbox: aggregate_type "patient", operation
    // "create", aggregate_id and identifier = kiosk_patient_id, payload = the JSON documented in
    // docs/patient-registration.md, carrying the identifier systems so the FHIR mapping needs no config).
    // The kiosk_patient_id is <site>-<yyyymmdd>-P-<kiosk letter><sequence of the day, 4 digits>, unique
    // per kiosk and never reused (durable counter).
    //
    // The sequence counts per (kiosk letter, local day) in table kiosk_patient_counters; it is never
    // reused, not after a restart and not after forget_delivered_older_than. Past 9999 it gets more digits.
    // Absent details ("" / nullopt) are stored as NULL and read back as "" / nullopt.
    //
    // A patient already registered here with the same CCCD (or, without CCCD, the same BHYT) is not
    // registered twice: the existing row is returned unchanged and nothing is queued. With a CCCD, only
    // the CCCD is compared (a row registered earlier with the same BHYT but no CCCD is not a match).
    // Throws std::invalid_argument (and writes nothing) if details has neither a CCCD nor a BHYT number or
    // no name (empty or blank), if a given number's identifier system is empty, if the kiosk has no site
    // id or a kiosk letter outside A-Z, or if any of this text is not UTF-8. Throws StoreError if the
    // database fails.
    RegisteredPatient register_patient(const core::KioskIdentity& kiosk, const core::PatientDetails& details,
                                       const IdentifierSystems& systems, core::UnixMillis now);

    // The registered patients carrying this CCCD or BHYT number (compared exactly, normalised form), oldest
    // registration first. An empty argument finds nobody.
    [[nodiscard]] std::vector<RegisteredPatient> find_by_cccd(const std::string& cccd) const;
    [[nodiscard]] std::vector<RegisteredPatient> find_by_bhyt(const std::string& bhyt) const;

    // Deletes registrations made before cutoff (registered_at < cutoff) whose outbox row is gone (the HIS
    // has them); the rest stay until they are delivered. A registration the HIS refused (its row is in the
    // dead letters) is not delivered and stays too. Returns how many were deleted. The counters stay, so
    // the numbers of forgotten registrations are not issued again.
    std::int64_t forget_delivered_older_than(core::UnixMillis cutoff);

    // Retention (patient_cache_days), in one transaction with SQLite's secure_delete on: the dead letters
    // of registrations that failed before cutoff (their payload and the HIS's reason hold the patient's
    // details), then every registration made before cutoff that is neither waiting in the outbox nor in a
    // newer dead letter (forget_delivered_older_than's rule, after those dead letters are gone), and the
    // outbox's delivered records older than cutoff that nothing waits for. Returns the registrations and
    // dead letters deleted. Records held because of a refused registration (tickets) stay: they carry
    // the registration's id, no personal data.
    std::int64_t forget_older_than(core::UnixMillis cutoff);

    [[nodiscard]] std::int64_t count() const;

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
    Outbox outbox_;
};

} // namespace kiosk::store
