#pragma once
// The NAPAS member list (assets/payment/napas-banks.tsv): which BINs a VietQR code may name. Parsed from
// the file's text here (pure); the app reads the file and checks the site's bank against it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::core {

struct Bank {
    std::string bin;        // 6 digits
    std::string code;       // e.g. "VCB"
    std::string short_name; // e.g. "Vietcombank"
    std::string name;       // e.g. "Ngân hàng TMCP Ngoại Thương Việt Nam"
};

struct BankListProblem {
    int line = 0;
    std::string message;
};

struct BankList {
    std::vector<Bank> banks;
    std::vector<BankListProblem> problems; // every bad line, with its number

    [[nodiscard]] const Bank* find(std::string_view bin) const;
};

// Lines: "bin<TAB>code<TAB>short name<TAB>full name"; '#' starts a comment line; blank lines skipped.
[[nodiscard]] BankList parse_bank_list(std::string_view text);

} // namespace kiosk::core
