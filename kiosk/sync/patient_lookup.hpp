#pragma once
// Finding a patient in the HIS by an identifier (FHIR R4 Patient search), with the kiosk's patient cache as
// the fallback while the HIS is unreachable.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/his/patient_search.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/patient_cache.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace kiosk::sync {

// Where the patients of a LookupResult come from.
enum class Source {
    His,   // the HIS answered the search just now (its answer is authoritative, also when empty)
    Cache, // the HIS could not be asked or refused the query: what the kiosk cached earlier
};

using his::LookupProblem; // why the HIS's answer is missing (LookupResult::problem)

struct FoundPatient {
    std::string fhir_id;             // the HIS's logical id
    std::string json;                // the Patient resource
    core::UnixMillis fetched_at = 0; // when the kiosk got it from the HIS (now, for Source::His)

    friend bool operator==(const FoundPatient&, const FoundPatient&) = default;
};

struct LookupResult {
    Source source = Source::His;
    // Every patient found. More than one means the HIS holds several Patients with this identifier
    // (duplicate registrations, a shared insurance card, ...): the kiosk must NOT pick one, it asks staff.
    std::vector<FoundPatient> patients;
    // "" when the HIS answered; otherwise for staff: why the HIS's answer is missing. Never contains the
    // identifier value or patient data.
    std::string message;
    LookupProblem problem = LookupProblem::None;
};

// Looks patients up by identifier: GET <base>/Patient?identifier=<system>|<value>&_count=10.
//
//  - 200 with a search Bundle: the HIS's answer. Every Patient found is cached (PatientCache), and the
//    cache's links for system|value are replaced by exactly this answer. Zero matches is a definitive
//    "not found": the cache is NOT consulted, and its links for that exact system|value are removed (a
//    patient left without identifiers is dropped), so a stale entry is never shown for it later.
//  - Transport error, timeout, 5xx, 408, 429, or a 200 that is not a usable search Bundle (garbage, too
//    large, a Patient that does not carry the identifier searched for): Source::Cache with the cached
//    matches and LookupProblem::Unreachable. Never an exception for network problems.
//  - Other 4xx: Source::Cache with the cached matches, LookupProblem::Refused and the OperationOutcome
//    text (a refusal says the query is wrong, e.g. an identifier system the HIS does not know; the cached
//    matches are still offered to staff).
//
// Deadline: a patient is waiting at the screen, so the lookup owns its total wait. Every transfer made for
// one find() (an OAuth2 token fetch, the search, a retry after a 401) must be over within `deadline` of
// the call (HttpRequest::deadline); a HIS that accepts the connection and never answers costs the patient
// that long, then counts as unreachable (LookupProblem::Unreachable).
//
// Privacy: nothing here logs, and no message contains an identifier value or a name (texts from the HIS
// or curl are redacted of the value). The cache only shrinks through PatientCache::forget_older_than,
// which the application must call periodically.
//
// Threads: one thread at a time, like the Database connection and the transport it is given.
class PatientLookup {
public:
    // base_url: the FHIR service base, e.g. "https://his.example.vn/fhir/R4" (trailing slashes ignored).
    PatientLookup(his::HttpTransport& transport, std::string base_url, store::Database& db,
                  const core::Clock& clock, std::chrono::milliseconds deadline = kDefaultDeadline);

    // The total wait for the HIS's answer when the site config does not set one ([his]
    // lookup_timeout_seconds).
    static constexpr std::chrono::milliseconds kDefaultDeadline{3000};

    // Throws std::invalid_argument if system or value is empty, and store::StoreError if the kiosk
    // database fails; nothing else.
    [[nodiscard]] LookupResult find(const std::string& system, const std::string& value);

    static constexpr std::size_t kMaxReplyBytes = his::PatientSearch::kMaxReplyBytes;
    static constexpr int kMaxMatches = his::PatientSearch::kMaxMatches;

private:
    LookupResult from_cache(const std::string& system, const std::string& value, LookupProblem problem,
                            std::string message) const;

    his::PatientSearch search_;
    const core::Clock& clock_;
    store::PatientCache cache_;
};

} // namespace kiosk::sync
