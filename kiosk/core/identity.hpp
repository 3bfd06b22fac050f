#pragma once
// Who the patient is: the personal details the kiosk reads from a CCCD QR or a registration form, the
// reasons an identity document is refused, and the masked name shown on screen. Pure C++, no I/O.
#include "kiosk/core/ticket.hpp" // LocalDate

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kiosk::core {

enum class Sex { Unknown, Male, Female };
// "male", "female", "unknown": how the store keeps a sex and the FHIR administrative-gender code alike.
[[nodiscard]] const char* sex_code(Sex s);
// The reverse; nullopt for anything else.
[[nodiscard]] std::optional<Sex> sex_from_code(std::string_view code);

// Why a scanned or typed identity was refused. Each has a plain-language message for the patient in the
// UI catalogs under problem_key(); the messages never repeat the patient's data.
enum class IdProblem {
    Empty,             // nothing was scanned or typed
    TooLong,           // far more text than any card carries (junk, a wrong barcode)
    NotText,           // not valid UTF-8, or control characters inside
    NotDigits,         // a number that contains something other than digits
    WrongLength,       // a number of the wrong length
    UnknownProvince,   // CCCD: the first three digits are not a province code
    BadCenturySex,     // CCCD: the 4th digit is not a century/sex code
    BirthYearInFuture, // CCCD: the birth year lies after the current year
    NotCccdQr,         // the scanned code is not the QR of a citizen-ID card
    BadQrDate,         // a date on the QR is not DDMMYYYY or not a real day
    QrDobMismatch,     // the ID number's century/year disagree with the QR's date of birth
    QrSexMismatch,     // the ID number's sex digit disagrees with the QR's sex
    MissingName,       // the QR carries no name
    BadBhytGroup,      // BHYT: the two letters are not a known beneficiary group
    BadBhytLevel,      // BHYT: the benefit level digit is not 1-5
    BadBhytProvince,   // BHYT: the two province digits are not a social-insurance province code
    ScanIncomplete,    // the scanner sent part of a code (cut by a pause) or no Enter after it
};
inline constexpr IdProblem kLastIdProblem = IdProblem::ScanIncomplete; // keep it the last one above

// The catalog key of the patient's message, e.g. "id.problem.wrong_length".
[[nodiscard]] const char* problem_key(IdProblem p);

// A parsed value or the reason it was refused.
template <class T> class IdResult {
public:
    IdResult(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    IdResult(IdProblem problem) : v_(problem) {} // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }
    [[nodiscard]] const T& value() const { return std::get<T>(v_); }
    [[nodiscard]] T& value() { return std::get<T>(v_); }
    [[nodiscard]] const T* operator->() const { return &std::get<T>(v_); }
    [[nodiscard]] IdProblem problem() const { return std::get<IdProblem>(v_); } // only when !ok()

private:
    std::variant<T, IdProblem> v_;
};

// A patient as the kiosk knows them before the HIS does: what a CCCD QR and the registration form give.
// Text is NFC UTF-8. Empty strings mean "not given".
struct PatientDetails {
    std::string cccd;      // 12-digit citizen-ID number
    std::string bhyt;      // health-insurance card code as printed (normalised: upper case, no spaces)
    std::string full_name; // "Nguyễn Văn An" (family name first, as Vietnamese write it)
    std::optional<LocalDate> birth_date;
    Sex sex = Sex::Unknown;
    std::string address;
    std::string phone; // digits only, e.g. "0912345678"

    friend bool operator==(const PatientDetails&, const PatientDetails&) = default;
};

// Overwrites every text of the details (core::wipe) and resets them: a patient's data is wiped, not just
// dropped, when their session ends.
void wipe(PatientDetails& details);

// The name as the screen may show it to anyone in the lobby: the family name in full, every middle name as
// its first letter and "***", the given name as its first letter: "Nguyễn Văn An" -> "Nguyễn V*** A";
// "Lê An" -> "Lê A"; a single word "An" -> "A***". Letters are whole characters (a base letter with its
// marks counts as one, "ễ" typed decomposed included). Every initial is upper-cased; the family name keeps
// its letters as written except its first, which is upper-cased ("nguyễn văn an" -> "Nguyễn V*** A",
// "NGUYỄN VĂN AN" -> "NGUYỄN V*** A"). Extra spaces are ignored; the result is NFC; "" and text that is not
// valid UTF-8 -> "".
[[nodiscard]] std::string mask_name(std::string_view full_name);

// A Vietnamese phone number typed on the keypad: digits only, "0" followed by 9 digits (mobile and the
// 10-digit landlines), or "+84"/"84" followed by 9 digits, normalised to the "0..." form. nullopt if not.
// Surrounding whitespace and spaces, dots and dashes between digits are ignored; the common slip of keeping
// the trunk "0" after the country code ("+84 0912 345 678") is accepted; a number whose national part starts
// with "0" ("00...", an international prefix) is refused.
[[nodiscard]] std::optional<std::string> normalize_phone(std::string_view text);

// The shared first step of the parsers of cccd.hpp and bhyt.hpp: `text` without surrounding whitespace
// (space, tab, CR, LF, VT, FF) and a leading UTF-8 byte-order mark, or why it is no identity text at all:
// TooLong (more than max_bytes, checked before anything else), Empty (nothing left), NotText (not valid
// UTF-8, or a control character - C0, DEL, C1 - inside).
[[nodiscard]] IdResult<std::string_view> clean_id_text(std::string_view text, std::size_t max_bytes);

} // namespace kiosk::core
