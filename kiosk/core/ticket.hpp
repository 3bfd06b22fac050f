#pragma once
#include "kiosk/core/clock.hpp"
#include "kiosk/core/site.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kiosk::core {

// A calendar day in the site's local time.
struct LocalDate {
    int year = 1970;
    unsigned month = 1;
    unsigned day = 1;

    [[nodiscard]] std::string iso() const;     // "2026-11-24"
    [[nodiscard]] std::string compact() const; // "20261124"
    friend bool operator==(const LocalDate&, const LocalDate&) = default;
    friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
};

// True for a real calendar day (proleptic Gregorian), e.g. 29/02 only in leap years.
[[nodiscard]] bool is_valid_date(int year, unsigned month, unsigned day);
// "DDMMYYYY" (exactly 8 digits) as written on Vietnamese documents (the CCCD QR's dates, the birth date
// typed on the keypad); nullopt if not a real day or in year 0000.
[[nodiscard]] std::optional<LocalDate> date_from_ddmmyyyy(std::string_view digits);
// "YYYY-MM-DD" as LocalDate::iso() writes it; nullopt if not that shape or not a real day.
[[nodiscard]] std::optional<LocalDate> date_from_iso(std::string_view text);

// The local calendar day and time-of-day of an instant at a UTC offset.
[[nodiscard]] LocalDate local_date(UnixMillis t, int utc_offset_minutes);
[[nodiscard]] std::string local_time_hhmm(UnixMillis t, int utc_offset_minutes); // "07:42"
// RFC 3339 with the site's offset, e.g. "2026-11-24T07:42:05+07:00" (what FHIR dateTime wants).
[[nodiscard]] std::string local_datetime_rfc3339(UnixMillis t, int utc_offset_minutes);
// A FHIR instant or dateTime with a time and a zone ("2026-11-24T07:42:05+07:00", "...05.123Z"; fractions
// beyond milliseconds are dropped), or a bare date "2026-11-24" read as midnight at `utc_offset_minutes`.
// nullopt for anything else (a time without a zone, an impossible day or time, a partial date).
[[nodiscard]] std::optional<UnixMillis> instant_from_rfc3339(std::string_view text, int utc_offset_minutes);

// Ticket numbering (docs/ticket-numbers.md):
//   display number  <service prefix><kiosk letter>-<sequence, at least 3 digits>   e.g. "A" "B" 23 ->
//   "AB-023" reference       <site>-<yyyymmdd>-<service code>-<kiosk letter><sequence>      e.g.
//   "BVDK-QN-20261124-KBH-B023"
// The sequence counts per (service, local day) on one kiosk and is stored durably, so a restart never
// reissues a number; the kiosk letter keeps kiosks of one site apart without them talking to each other.
[[nodiscard]] std::string ticket_display_number(const Service& service, char kiosk_letter, int sequence);
[[nodiscard]] std::string ticket_reference(const KioskIdentity& kiosk, const Service& service,
                                           const LocalDate& day, int sequence);

// Who a ticket is for, when the patient identified first: the HIS's Patient id when the HIS knows them,
// else the id of the registration made at this kiosk (sent to the HIS before the ticket).
struct PatientRef {
    std::string his_id;
    std::string kiosk_patient_id;
    friend bool operator==(const PatientRef&, const PatientRef&) = default;
};

struct Ticket {
    std::string reference;      // globally unique business identifier; encoded in the QR code
    std::string display_number; // what the patient reads and staff call out
    std::string service_code;
    LocalDate service_day;
    int sequence = 0;
    UnixMillis issued_at = 0;
    std::string site_id;
    std::string kiosk_id;
    std::optional<PatientRef> patient; // nullopt: an anonymous walk-in ticket
};

} // namespace kiosk::core
