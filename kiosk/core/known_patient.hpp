#pragma once
// The answer to "who carries this identifier?": a domain type, shared by the code that asks the kiosk's
// records and the HIS (app/patient_finder) and the flow that shows the answer (ui). Pure C++, no I/O.
#include "kiosk/core/text.hpp"

#include <string>

namespace kiosk::core {

// Which identity document a number comes from.
enum class IdKind { Cccd, Bhyt };

// The patient the kiosk has identified (or just registered). Only the masked name is ever shown.
struct KnownPatient {
    std::string masked_name;      // "Nguyễn V*** A"
    std::string his_id;           // the HIS's Patient id, when the HIS knows the patient
    std::string kiosk_patient_id; // when registered at this kiosk and not yet confirmed by the HIS
    bool from_cache = false;      // the HIS could not be asked: the answer comes from the kiosk's cache
};

// What a lookup found.
struct LookupOutcome {
    // HisUnavailable: the HIS could not be asked and neither its cached answers nor the kiosk's
    // registrations know the number. NotFound is the HIS's own "nobody" (or, with no HIS configured, the
    // kiosk's records').
    enum class Kind { Found, NotFound, Several, HisUnavailable };
    Kind kind = Kind::NotFound;
    KnownPatient patient;     // Found
    bool his_offline = false; // Found/Several: the HIS could not be asked, only the cache was
};

// Overwrites the texts (core::wipe) and resets the patient: their name and ids leave no copy behind.
inline void wipe(KnownPatient& p) {
    wipe(p.masked_name);
    wipe(p.his_id);
    wipe(p.kiosk_patient_id);
    p.from_cache = false;
}

} // namespace kiosk::core
