#pragma once
// VietQR: the NAPAS profile of EMVCo's Merchant-Presented Mode QR code (docs/payments.md). Every banking
// app in Vietnam reads it; the kiosk shows a dynamic code for exactly the bill's amount. Pure: the text
// of the code only (the image is drawn elsewhere).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::core::vietqr {

// Point of initiation (ID 01): a static code serves many payments and carries no amount; a dynamic one
// is made for one payment, with its amount.
enum class Initiation { Static, Dynamic };
// The NAPAS service (ID 38, sub 02): a transfer to an account (QRIBFTTA) or to a card (QRIBFTTC).
enum class Service { ToAccount, ToCard };

struct Payment {
    Initiation initiation = Initiation::Dynamic;
    std::string bin;     // the beneficiary bank's 6-digit NAPAS BIN, e.g. "970436"
    std::string account; // account number (A-Z, 0-9, at most 19) or card number (16-19 digits)
    Service service = Service::ToAccount;
    std::optional<std::int64_t> amount_vnd; // whole đồng; required when dynamic, absent when static
    std::string bill_number;                // ID 62 sub 01, e.g. the invoice number (may be empty)
    std::string purpose;                    // ID 62 sub 08, ASCII, e.g. "Thanh toan vien phi HD123"
    friend bool operator==(const Payment&, const Payment&) = default;
};

// Why a payment cannot be encoded, or a text is not a valid VietQR code.
enum class Problem {
    Empty,
    TooLong,           // over 512 characters (EMVCo's limit for the whole code)
    NotPrintableAscii, // a character outside 0x20-0x7E
    Malformed,         // a data object's ID or length is not two digits, or runs past the end
    DuplicateField,    // the same ID twice at one level
    PayloadFormat,     // ID 00 missing, not first, or not "01"
    InitiationMethod,  // ID 01 not "11" or "12"
    NotNapas,          // no merchant account information (ID 38) with the NAPAS GUID A000000727
    Bin,               // not 6 digits (whether NAPAS lists it is the bank list's check)
    Account,           // empty, too long, or characters other than A-Z and 0-9; card: 16-19 digits
    ServiceCode,       // not QRIBFTTA or QRIBFTTC
    Currency,          // ID 53 missing or not 704 (VND)
    Amount,            // not a whole number of đồng from 1 to 13 digits, or missing/present wrongly
    Country,           // ID 58 missing or not VN
    AdditionalData,    // ID 62: a sub-field too long or not printable ASCII
    Crc,               // ID 63 missing, not last, not 4 hex digits, or not the checksum of the code
};

struct Refusal {
    Problem problem;
    std::string detail; // for staff and tests: which field, what was found (never a patient's data)
};

struct Built {
    std::string text;               // the code's text when it could be built
    std::optional<Refusal> refusal; // otherwise why not
};
struct Parsed {
    std::optional<Payment> payment;
    std::optional<Refusal> refusal;
};

// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR), as ID 63 requires.
[[nodiscard]] std::uint16_t crc16_ccitt_false(std::string_view bytes);

// The code's text: data objects in ascending ID order, ID 63 last over everything before it, "6304"
// included. Refuses what a bank app would refuse rather than truncating anything.
[[nodiscard]] Built build(const Payment& payment);

// Validates any text claiming to be a VietQR code: the structure (every length, nested ones too), the
// charset of every field, the mandatory fields and their values, and the checksum.
[[nodiscard]] Parsed parse(std::string_view text);

[[nodiscard]] std::string_view service_code(Service service); // "QRIBFTTA" / "QRIBFTTC"
[[nodiscard]] std::string_view problem_name(Problem problem); // "crc", "amount", ... (for logs, tests)

} // namespace kiosk::core::vietqr
