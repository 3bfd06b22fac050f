#include "kiosk/core/vietqr.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace kiosk::core::vietqr {
namespace {

constexpr std::string_view kNapasGuid = "A000000727";
constexpr std::size_t kMaxCodeLength = 512; // EMVCo MPM: the whole code
constexpr std::size_t kMaxAdditionalField = 25;
constexpr std::size_t kMaxAccount = 19;
constexpr std::size_t kMaxAmountDigits = 13;

Refusal refuse(Problem p, std::string detail) {
    return Refusal{p, std::move(detail)};
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}
bool account_chars(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

// One data object of a level: its two-digit ID, its value, and where it starts in the whole code.
struct Field {
    std::string_view id;
    std::string_view value;
    std::size_t at = 0;
};

// Splits one level (the whole code, or a template's value) into its data objects.
std::optional<Refusal> split(std::string_view level, std::size_t offset, std::string_view where,
                             std::vector<Field>& out) {
    std::size_t i = 0;
    while (i < level.size()) {
        if (level.size() - i < 4 || !all_digits(level.substr(i, 2)) || !all_digits(level.substr(i + 2, 2)))
            return refuse(Problem::Malformed, std::string(where) +
                                                  ": no two-digit ID and length at position " +
                                                  std::to_string(offset + i));
        const std::string_view id = level.substr(i, 2);
        const auto length = static_cast<std::size_t>((level[i + 2] - '0') * 10 + (level[i + 3] - '0'));
        if (length == 0 || length > level.size() - i - 4)
            return refuse(Problem::Malformed, std::string(where) + ": field " + std::string(id) +
                                                  " has length " + std::to_string(length) + ", " +
                                                  std::to_string(level.size() - i - 4) +
                                                  " characters remain");
        for (const Field& f : out)
            if (f.id == id)
                return refuse(Problem::DuplicateField,
                              std::string(where) + ": field " + std::string(id) + " twice");
        out.push_back({id, level.substr(i + 4, length), offset + i});
        i += 4 + length;
    }
    return std::nullopt;
}

const Field* find(const std::vector<Field>& fields, std::string_view id) {
    for (const Field& f : fields)
        if (f.id == id) return &f;
    return nullptr;
}

std::string hex4(std::uint16_t v) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    std::string s(4, '0');
    for (int i = 3; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = digits[v & 0xFU];
        v = static_cast<std::uint16_t>(v >> 4U);
    }
    return s;
}

std::optional<std::uint16_t> parse_hex4(std::string_view s) {
    if (s.size() != 4) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        unsigned d = 0;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else
            return std::nullopt;
        v = v * 16 + d;
    }
    return static_cast<std::uint16_t>(v);
}

// ID, two-digit length, value. Callers keep values within 99 characters.
std::string tlv(std::string_view id, std::string_view value) {
    const std::size_t n = value.size();
    std::string s(id);
    s += static_cast<char>('0' + n / 10);
    s += static_cast<char>('0' + n % 10);
    s += value;
    return s;
}

std::optional<Refusal> check_bin(std::string_view bin) {
    if (bin.size() != 6 || !all_digits(bin))
        return refuse(Problem::Bin,
                      "the bank BIN must be 6 digits, got " + std::to_string(bin.size()) + " characters");
    return std::nullopt;
}

std::optional<Refusal> check_account(std::string_view account, Service service) {
    if (service == Service::ToCard) {
        if (!all_digits(account) || account.size() < 16 || account.size() > 19)
            return refuse(Problem::Account, "a card number must be 16 to 19 digits, got " +
                                                std::to_string(account.size()) + " characters");
        return std::nullopt;
    }
    if (account.empty() || account.size() > kMaxAccount || !account_chars(account))
        return refuse(Problem::Account, "an account number must be 1 to 19 characters A-Z and 0-9, got " +
                                            std::to_string(account.size()) + " characters");
    return std::nullopt;
}

std::optional<Refusal> check_additional(std::string_view name, std::string_view value) {
    if (!printable_ascii(value))
        return refuse(Problem::AdditionalData,
                      std::string(name) +
                          " must be printable ASCII (fold Vietnamese letters with core::fold_to_ascii)");
    if (value.size() > kMaxAdditionalField)
        return refuse(Problem::AdditionalData, std::string(name) + " has " + std::to_string(value.size()) +
                                                   " characters, at most 25 fit");
    return std::nullopt;
}

std::optional<std::int64_t> parse_amount(std::string_view s) {
    if (!all_digits(s) || s.size() > kMaxAmountDigits || s[0] == '0') return std::nullopt;
    std::int64_t v = 0;
    for (char c : s)
        v = v * 10 + (c - '0');
    return v;
}

std::optional<Refusal> parse_merchant_account(const Field& f, Payment& p) {
    std::vector<Field> sub;
    if (auto r = split(f.value, f.at + 4, "merchant account (38)", sub)) return r;
    const Field* guid = find(sub, "00");
    if (guid == nullptr || guid->value != kNapasGuid)
        return refuse(Problem::NotNapas, "field 38 does not carry the NAPAS GUID A000000727");
    const Field* beneficiary = find(sub, "01");
    if (beneficiary == nullptr) return refuse(Problem::Bin, "field 38 has no beneficiary (01)");
    std::vector<Field> bank;
    if (auto r = split(beneficiary->value, beneficiary->at + 4, "beneficiary (38.01)", bank)) return r;
    const Field* bin = find(bank, "00");
    const Field* account = find(bank, "01");
    if (bin == nullptr) return refuse(Problem::Bin, "the beneficiary has no bank BIN (38.01.00)");
    if (account == nullptr) return refuse(Problem::Account, "the beneficiary has no account (38.01.01)");
    const Field* service = find(sub, "02");
    if (service == nullptr || (service->value != "QRIBFTTA" && service->value != "QRIBFTTC"))
        return refuse(Problem::ServiceCode, "field 38.02 must be QRIBFTTA or QRIBFTTC");
    p.service = service->value == "QRIBFTTC" ? Service::ToCard : Service::ToAccount;
    if (auto r = check_bin(bin->value)) return r;
    if (auto r = check_account(account->value, p.service)) return r;
    p.bin = std::string(bin->value);
    p.account = std::string(account->value);
    return std::nullopt;
}

std::optional<Refusal> parse_additional(const Field& f, Payment& p) {
    std::vector<Field> sub;
    if (auto r = split(f.value, f.at + 4, "additional data (62)", sub)) return r;
    for (const Field& s : sub)
        if (s.value.size() > kMaxAdditionalField)
            return refuse(Problem::AdditionalData, "field 62." + std::string(s.id) + " has " +
                                                       std::to_string(s.value.size()) +
                                                       " characters, at most 25");
    if (const Field* bill = find(sub, "01")) p.bill_number = std::string(bill->value);
    if (const Field* purpose = find(sub, "08")) p.purpose = std::string(purpose->value);
    return std::nullopt;
}

} // namespace

std::uint16_t crc16_ccitt_false(std::string_view bytes) {
    std::uint16_t crc = 0xFFFF;
    for (char ch : bytes) {
        crc = static_cast<std::uint16_t>(crc ^
                                         (static_cast<std::uint16_t>(static_cast<unsigned char>(ch)) << 8U));
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000U) != 0 ? static_cast<std::uint16_t>((crc << 1U) ^ 0x1021U)
                                       : static_cast<std::uint16_t>(crc << 1U);
    }
    return crc;
}

std::string_view service_code(Service service) {
    return service == Service::ToCard ? "QRIBFTTC" : "QRIBFTTA";
}

Built build(const Payment& p) {
    if (auto r = check_bin(p.bin)) return {{}, r};
    if (auto r = check_account(p.account, p.service)) return {{}, r};
    if (p.initiation == Initiation::Dynamic && !p.amount_vnd)
        return {{}, refuse(Problem::Amount, "a dynamic code needs the amount")};
    if (p.initiation == Initiation::Static && p.amount_vnd)
        return {{}, refuse(Problem::Amount, "a static code carries no amount")};
    std::string amount;
    if (p.amount_vnd) {
        amount = std::to_string(*p.amount_vnd);
        if (*p.amount_vnd <= 0 || amount.size() > kMaxAmountDigits)
            return {{}, refuse(Problem::Amount, "the amount must be 1 to 9,999,999,999,999 dong")};
    }
    if (auto r = check_additional("the bill number", p.bill_number)) return {{}, r};
    if (auto r = check_additional("the purpose", p.purpose)) return {{}, r};

    std::string text = tlv("00", "01");
    text += tlv("01", p.initiation == Initiation::Dynamic ? "12" : "11");
    const std::string beneficiary = tlv("00", p.bin) + tlv("01", p.account);
    text += tlv("38", tlv("00", kNapasGuid) + tlv("01", beneficiary) + tlv("02", service_code(p.service)));
    text += tlv("53", "704");
    if (!amount.empty()) text += tlv("54", amount);
    text += tlv("58", "VN");
    std::string additional;
    if (!p.bill_number.empty()) additional += tlv("01", p.bill_number);
    if (!p.purpose.empty()) additional += tlv("08", p.purpose);
    if (!additional.empty()) text += tlv("62", additional);
    text += "6304";
    text += hex4(crc16_ccitt_false(text));
    if (text.size() > kMaxCodeLength)
        return {
            {},
            refuse(Problem::TooLong, "the code would have " + std::to_string(text.size()) + " characters")};
    return {text, std::nullopt};
}

Parsed parse(std::string_view text) {
    auto refused = [](Problem p, std::string detail) {
        return Parsed{std::nullopt, refuse(p, std::move(detail))};
    };
    if (text.empty()) return refused(Problem::Empty, "no text");
    if (text.size() > kMaxCodeLength)
        return refused(Problem::TooLong, std::to_string(text.size()) + " characters, at most 512");
    if (!printable_ascii(text))
        return refused(Problem::NotPrintableAscii, "a character outside printable ASCII");

    std::vector<Field> fields;
    if (auto r = split(text, 0, "the code", fields)) return {std::nullopt, r};

    const Field* crc = find(fields, "63");
    if (crc == nullptr) return refused(Problem::Crc, "no checksum (63)");
    if (crc != &fields.back()) return refused(Problem::Crc, "the checksum (63) is not the last field");
    const auto stated = parse_hex4(crc->value);
    if (!stated) return refused(Problem::Crc, "the checksum (63) is not 4 hexadecimal digits");
    const std::uint16_t computed = crc16_ccitt_false(text.substr(0, crc->at + 4));
    if (*stated != computed)
        return refused(Problem::Crc,
                       "checksum " + std::string(crc->value) + " stated, " + hex4(computed) + " computed");

    if (fields.front().id != "00" || fields.front().value != "01")
        return refused(Problem::PayloadFormat, "the code must start with field 00 = 01");

    Payment p;
    p.amount_vnd.reset();
    p.initiation = Initiation::Static; // field 01 is optional in EMVCo; without it a code is static
    if (const Field* f = find(fields, "01")) {
        if (f->value != "11" && f->value != "12")
            return refused(Problem::InitiationMethod, "field 01 must be 11 or 12");
        p.initiation = f->value == "12" ? Initiation::Dynamic : Initiation::Static;
    }
    const Field* merchant = find(fields, "38");
    if (merchant == nullptr) return refused(Problem::NotNapas, "no NAPAS merchant account information (38)");
    if (auto r = parse_merchant_account(*merchant, p)) return {std::nullopt, r};

    const Field* currency = find(fields, "53");
    if (currency == nullptr || currency->value != "704")
        return refused(Problem::Currency, "field 53 must be 704 (VND)");
    if (const Field* amount = find(fields, "54")) {
        p.amount_vnd = parse_amount(amount->value);
        if (!p.amount_vnd)
            return refused(Problem::Amount,
                           "field 54 must be a whole number of dong (1 to 13 digits, no leading 0)");
    }
    const Field* country = find(fields, "58");
    if (country == nullptr || country->value != "VN") return refused(Problem::Country, "field 58 must be VN");
    if (const Field* additional = find(fields, "62"))
        if (auto r = parse_additional(*additional, p)) return {std::nullopt, r};
    return {p, std::nullopt};
}

std::string_view problem_name(Problem problem) {
    static constexpr std::array<std::string_view, 16> names{"empty",
                                                            "too_long",
                                                            "not_printable_ascii",
                                                            "malformed",
                                                            "duplicate_field",
                                                            "payload_format",
                                                            "initiation_method",
                                                            "not_napas",
                                                            "bin",
                                                            "account",
                                                            "service_code",
                                                            "currency",
                                                            "amount",
                                                            "country",
                                                            "additional_data",
                                                            "crc"};
    return names.at(static_cast<std::size_t>(problem));
}

} // namespace kiosk::core::vietqr
