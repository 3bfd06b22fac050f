#pragma once
// Who is this patient? Looks an identifier up in the kiosk's own records and the HIS:
//  1. a patient the HIS described less than kFreshFor ago (PatientCache) is answered at once;
//  2. otherwise, with a HIS configured, the HIS is asked (PatientLookup: its answer replaces the cache);
//     when it cannot be asked, the cache answers whatever its age (from_cache);
//  3. a patient registered at this kiosk that the HIS does not know yet (not delivered) is still found;
//  4. when the HIS could not be asked and nothing above knows the number, the outcome is HisUnavailable
//     (not NotFound: only the HIS can say nobody has it).
// Runs on its own worker thread: the HIS may take seconds to answer and the UI never waits on it.
//
// Privacy: returns the masked name only; never logs identifiers, names or anything else about the patient.
#include "kiosk/core/known_patient.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/sync/patient_lookup.hpp"

#include <optional>
#include <string>

namespace kiosk::app {

class PatientFinder {
public:
    // lookup: null when no HIS is configured (the kiosk's records are then the whole answer).
    PatientFinder(store::Database& db, sync::PatientLookup* lookup, store::IdentifierSystems systems,
                  const core::Clock& clock);

    // How long a HIS answer is trusted without asking again.
    static constexpr core::UnixMillis kFreshFor = 60 * 60 * 1000;

    [[nodiscard]] core::LookupOutcome find(core::IdKind kind, const std::string& value);

    // Retention: forgets patients the HIS described before cutoff, registrations made before cutoff that
    // the HIS received, and the dead letters of registrations it refused before cutoff
    // (PatientCache::forget_older_than, PatientRegistry::forget_older_than).
    // Returns how many patients were forgotten in all.
    std::int64_t forget_older_than(core::UnixMillis cutoff);

private:
    [[nodiscard]] core::LookupOutcome from_registry(core::IdKind kind, const std::string& value,
                                                    bool offline);

    store::Database& db_;
    sync::PatientLookup* lookup_;
    const core::Clock& clock_;
    store::IdentifierSystems systems_;
    store::PatientRegistry registry_;
    store::PatientCache cache_;
};

// The patient's name from a FHIR Patient resource: the official (else the first) name's text, else its
// family and given names in Vietnamese order. "" when the resource has none.
[[nodiscard]] std::string fhir_patient_name(const std::string& patient_json);

} // namespace kiosk::app
