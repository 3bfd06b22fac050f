#pragma once
// The chip citizen-ID card (CCCD, "căn cước công dân", and the "căn cước" card issued since 7/2024): its
// 12-digit number and the text of the QR code printed on it. Pure functions of their input, fuzzable:
// any byte string gives a value or an IdProblem, never a crash or an exception.
#include "kiosk/core/identity.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kiosk::core {

// The 12 digits of a CCCD: PPP (province of birth registration, the official list of Circular
// 07/2016/TT-BCA: 001 Hà Nội ... 096 Cà Mau), G (century and sex, Circular 07/2016 art. 7: 0/1 = 1900s
// male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s), YY (birth year within the century),
// then 6 serial digits. A G whose century starts after current_year is BadCenturySex (no one alive can
// hold it); a birth year after current_year within a started century is BirthYearInFuture.
struct CccdNumber {
    std::string digits;        // the 12 digits
    std::string province_code; // "079"
    std::string province_name; // "Hồ Chí Minh" (NFC)
    Sex sex = Sex::Unknown;
    int birth_year = 0; // century from G plus YY

    friend bool operator==(const CccdNumber&, const CccdNumber&) = default;
};

// Validates a typed or scanned number. Spaces, dots and dashes between digits are ignored ("079 090 001
// 234"); anything else fails. current_year: for BirthYearInFuture.
[[nodiscard]] IdResult<CccdNumber> parse_cccd_number(std::string_view text, int current_year);

// What the QR code on a CCCD says. The classic layout, fields separated by '|':
//   <12-digit id>|<old 9-digit CMND, may be empty>|<full name>|<DOB DDMMYYYY>|<sex "Nam"/"Nữ">|<address>|
//   <issue date DDMMYYYY>
// Variants seen on real cards and accepted: a trailing '|' or CR/LF, surrounding spaces, the old id left
// out entirely (6 fields), sex written "Nu"/"NỮ"/"Male"/"Female", names in NFD (normalised to NFC),
// decomposed or upper-case text. The "căn cước" card of 2024 adds fields after the issue date (e.g. the
// parents' names, the card's expiry date): they are kept in extra_fields and never required.
struct CccdQr {
    CccdNumber number;
    std::string old_id; // 9-digit CMND or ""
    std::string full_name;
    LocalDate birth_date;
    Sex sex = Sex::Unknown;
    std::string address;
    std::optional<LocalDate> issue_date;
    std::vector<std::string> extra_fields;

    friend bool operator==(const CccdQr&, const CccdQr&) = default;
};

// Parses and cross-checks the QR text: the number must be valid, its century/year digits must match the
// birth year and its sex digit the sex field (QrDobMismatch / QrSexMismatch). Text longer than 2 kB is
// TooLong without being looked at further.
[[nodiscard]] IdResult<CccdQr> parse_cccd_qr(std::string_view text, int current_year);

// The details a registration form is prefilled with.
[[nodiscard]] PatientDetails details_from_qr(const CccdQr& qr);

} // namespace kiosk::core
