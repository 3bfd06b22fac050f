#pragma once
#include <string>
#include <vector>

namespace kiosk::core {

// A service a patient can take a queue ticket for (e.g. "Khám BHYT"). Names are NFC UTF-8.
struct Service {
    std::string code;   // stable id, e.g. "KBH"; part of ticket references
    std::string prefix; // one letter A-Z shown first in the ticket number, unique per site
    std::string name_vi;
    std::string name_en;
};

// Who this kiosk is. Several kiosks of one site share site_id and differ in kiosk_id and kiosk_letter.
struct KioskIdentity {
    std::string site_id;             // e.g. "BVDK-QN" (A-Z, 0-9, '-')
    std::string kiosk_id;            // e.g. "SANH-A-01"
    char kiosk_letter = 'A';         // A-Z, unique per kiosk within the site: makes ticket numbers unique
    int utc_offset_minutes = 7 * 60; // the site's local time (Vietnam: +07:00, no DST)
};

} // namespace kiosk::core
