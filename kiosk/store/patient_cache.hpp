#pragma once
#include "kiosk/core/clock.hpp"
#include "kiosk/store/database.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::store {

// (system, value) pairs of FHIR Patient.identifier, e.g.
// {"http://fhir.ehealth.gov.vn/core/sid/national_id", "079090001234"}.
using PatientIdentifiers = std::vector<std::pair<std::string, std::string>>;

// One patient as the HIS last described it.
struct CachedPatient {
    std::string fhir_id;             // the HIS's logical id of the Patient
    std::string json;                // the Patient resource as the HIS sent it
    core::UnixMillis fetched_at = 0; // when the kiosk got it from the HIS

    friend bool operator==(const CachedPatient&, const CachedPatient&) = default;
};

// One patient of a search answer, for PatientCache::replace_matches.
struct PatientToCache {
    std::string fhir_id;
    std::string json;
    PatientIdentifiers identifiers;
};

// Patients the HIS found by identifier (tables his_patients and his_patient_identifiers of migration 4), so
// that a returning patient is still recognised while the HIS is unreachable. Holds personal data: the
// cache is only as old as the caller lets it get (forget_older_than), and nothing here logs.
//
// Every write either completes or throws StoreError and leaves the database as it was. Error messages
// never contain identifier values or patient data.
class PatientCache {
public:
    explicit PatientCache(Database& db); // throws StoreError if the tables are missing (not migrated)
    PatientCache(const PatientCache&) = delete;
    PatientCache& operator=(const PatientCache&) = delete;
    ~PatientCache();

    // In one transaction: inserts the patient or replaces its json and fetched_at, and replaces ALL its
    // identifier rows by `identifiers` (a pair listed twice is stored once).
    void put(const std::string& fhir_id, const std::string& json, const PatientIdentifiers& identifiers,
             core::UnixMillis now);

    // The HIS's complete answer to a search for system|value, applied in one transaction:
    //  - the link system|value is removed from every cached patient;
    //  - each of `matches` is put() (system|value is added to its identifiers, since the HIS says it has
    //    it, even if its JSON spells the value differently);
    //  - a cached patient that this left without any identifier is deleted (nothing can find it anymore).
    // Empty `matches` means "the HIS knows nobody with this identifier": the cache stops answering it, and
    // a stale entry can never be shown for it again.
    void replace_matches(const std::string& system, const std::string& value,
                         const std::vector<PatientToCache>& matches, core::UnixMillis now);

    // Cached patients carrying exactly system|value (both compared byte for byte), by fhir_id. Several
    // when the HIS has several patients with that identifier.
    [[nodiscard]] std::vector<CachedPatient> find(const std::string& system, const std::string& value) const;

    // Deletes every patient fetched before `cutoff` (fetched_at < cutoff) and, by ON DELETE CASCADE, its
    // identifiers. The kiosk calls this periodically: the cache must not keep patients forever.
    void forget_older_than(core::UnixMillis cutoff);

    // Number of cached patients.
    [[nodiscard]] std::int64_t count() const;

private:
    void put_in_transaction(const std::string& fhir_id, const std::string& json,
                            const PatientIdentifiers& identifiers, core::UnixMillis now);

    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
