#include "kiosk/sync/patient_lookup.hpp"

#include <stdexcept>
#include <utility>

// No logging in this file, on purpose: identifier values and names are personal data.

namespace kiosk::sync {

PatientLookup::PatientLookup(his::HttpTransport& transport, std::string base_url, store::Database& db,
                             const core::Clock& clock, std::chrono::milliseconds deadline)
    : search_(transport, std::move(base_url), deadline), clock_(clock), cache_(db) {}

LookupResult PatientLookup::find(const std::string& system, const std::string& value) {
    if (system.empty() || value.empty())
        throw std::invalid_argument("PatientLookup::find needs an identifier system and a value");
    his::SearchAnswer answer = search_.search(system, value);
    if (answer.problem != LookupProblem::None)
        return from_cache(system, value, answer.problem, std::move(answer.message));

    // The HIS's answer is authoritative, an empty one included: the cache is brought in line with it.
    const core::UnixMillis now = clock_.now();
    std::vector<store::PatientToCache> to_cache;
    to_cache.reserve(answer.patients.size());
    for (auto& p : answer.patients)
        to_cache.push_back(store::PatientToCache{p.fhir_id, p.json, std::move(p.identifiers)});
    cache_.replace_matches(system, value, to_cache, now);
    LookupResult result{Source::His, {}, "", LookupProblem::None};
    result.patients.reserve(answer.patients.size());
    for (auto& p : answer.patients)
        result.patients.push_back(FoundPatient{std::move(p.fhir_id), std::move(p.json), now});
    return result;
}

LookupResult PatientLookup::from_cache(const std::string& system, const std::string& value,
                                       LookupProblem problem, std::string message) const {
    LookupResult result{Source::Cache, {}, std::move(message), problem};
    for (auto& c : cache_.find(system, value))
        result.patients.push_back(FoundPatient{std::move(c.fhir_id), std::move(c.json), c.fetched_at});
    return result;
}

} // namespace kiosk::sync
