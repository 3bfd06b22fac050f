#include "kiosk/store/patient_cache.hpp"

#include "kiosk/store/statement.hpp"

#include <set>
#include <string>
#include <utility>

namespace kiosk::store {

// Note: his_patient_identifiers has no index on fhir_id alone (only its primary key), so unlinking one
// patient scans the table. Fine for a cache of this size (patients seen at one kiosk within the retention
// period); the schema is the migrations' to change.
struct PatientCache::Statements {
    explicit Statements(const Database& db)
        : upsert(
              db,
              "INSERT INTO his_patients (fhir_id, json, fetched_at) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (fhir_id) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at"),
          unlink_patient(db, "DELETE FROM his_patient_identifiers WHERE fhir_id = ?1"),
          link(db, "INSERT INTO his_patient_identifiers (system, value, fhir_id) VALUES (?1, ?2, ?3)"),
          linked(db, "SELECT fhir_id FROM his_patient_identifiers WHERE system = ?1 AND value = ?2"),
          unlink_identifier(db, "DELETE FROM his_patient_identifiers WHERE system = ?1 AND value = ?2"),
          delete_if_orphan(db, "DELETE FROM his_patients WHERE fhir_id = ?1 AND NOT EXISTS "
                               "(SELECT 1 FROM his_patient_identifiers AS i WHERE i.fhir_id = ?1)"),
          find(db, "SELECT p.fhir_id, p.json, p.fetched_at FROM his_patient_identifiers AS i "
                   "JOIN his_patients AS p ON p.fhir_id = i.fhir_id "
                   "WHERE i.system = ?1 AND i.value = ?2 ORDER BY p.fhir_id"),
          forget(db, "DELETE FROM his_patients WHERE fetched_at < ?1"),
          count(db, "SELECT count(*) FROM his_patients") {}

    detail::Statement upsert;
    detail::Statement unlink_patient;
    detail::Statement link;
    detail::Statement linked;
    detail::Statement unlink_identifier;
    detail::Statement delete_if_orphan;
    detail::Statement find;
    detail::Statement forget;
    detail::Statement count;
};

PatientCache::PatientCache(Database& db) : db_(db), st_(std::make_unique<Statements>(db)) {}

PatientCache::~PatientCache() = default;

void PatientCache::put_in_transaction(const std::string& fhir_id, const std::string& json,
                                      const PatientIdentifiers& identifiers, core::UnixMillis now) {
    {
        auto& s = st_->upsert;
        const auto reset = s.scoped();
        s.bind_text(1, fhir_id).bind_text(2, json).bind_int64(3, now);
        s.run();
    }
    {
        auto& s = st_->unlink_patient;
        const auto reset = s.scoped();
        s.bind_text(1, fhir_id);
        s.run();
    }
    // A set: the primary key (system, value, fhir_id) refuses a pair listed twice.
    const std::set<std::pair<std::string, std::string>> unique(identifiers.begin(), identifiers.end());
    for (const auto& [system, value] : unique) {
        auto& s = st_->link;
        const auto reset = s.scoped();
        s.bind_text(1, system).bind_text(2, value).bind_text(3, fhir_id);
        s.run();
    }
}

void PatientCache::put(const std::string& fhir_id, const std::string& json,
                       const PatientIdentifiers& identifiers, core::UnixMillis now) {
    try {
        detail::Transaction tx(db_);
        put_in_transaction(fhir_id, json, identifiers, now);
        tx.commit();
    } catch (const std::exception& e) {
        // No identifier value in the message: it may end up in a log.
        throw StoreError("could not cache HIS patient " + fhir_id + " (nothing was written): " + e.what());
    }
}

void PatientCache::replace_matches(const std::string& system, const std::string& value,
                                   const std::vector<PatientToCache>& matches, core::UnixMillis now) {
    try {
        detail::Transaction tx(db_);
        std::vector<std::string> previously_linked;
        {
            auto& s = st_->linked;
            const auto reset = s.scoped();
            s.bind_text(1, system).bind_text(2, value);
            while (s.step())
                previously_linked.push_back(s.column_text(0));
        }
        {
            auto& s = st_->unlink_identifier;
            const auto reset = s.scoped();
            s.bind_text(1, system).bind_text(2, value);
            s.run();
        }
        for (const auto& m : matches) {
            PatientIdentifiers identifiers = m.identifiers;
            identifiers.emplace_back(system, value);
            put_in_transaction(m.fhir_id, m.json, identifiers, now);
        }
        for (const auto& id : previously_linked) {
            auto& s = st_->delete_if_orphan;
            const auto reset = s.scoped();
            s.bind_text(1, id);
            s.run();
        }
        tx.commit();
    } catch (const std::exception& e) {
        throw StoreError("could not cache the HIS's answer to a patient search (" +
                         std::to_string(matches.size()) + " patients; nothing was written): " + e.what());
    }
}

std::vector<CachedPatient> PatientCache::find(const std::string& system, const std::string& value) const {
    auto& s = st_->find;
    const auto reset = s.scoped();
    s.bind_text(1, system).bind_text(2, value);
    std::vector<CachedPatient> found;
    while (s.step())
        found.push_back(CachedPatient{s.column_text(0), s.column_text(1), s.column_int64(2)});
    return found;
}

void PatientCache::forget_older_than(core::UnixMillis cutoff) {
    // One statement, so atomic by itself; the identifiers go with their patient (ON DELETE CASCADE, the
    // connection has foreign keys on).
    auto& s = st_->forget;
    const auto reset = s.scoped();
    s.bind_int64(1, cutoff);
    s.run();
}

std::int64_t PatientCache::count() const {
    auto& s = st_->count;
    const auto reset = s.scoped();
    if (!s.step()) return 0;
    return s.column_int64(0);
}

} // namespace kiosk::store
