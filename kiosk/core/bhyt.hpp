#pragma once
// The health-insurance (BHYT, "bảo hiểm y tế") card number, in its three forms:
//   - the 15-character card code: 2 letters (beneficiary group, e.g. "DN", "HC", "TE", "HT"), 1 digit
//     (benefit level 1-5), 2 digits (province code of Vietnam Social Security), 10 digits (the social
//     insurance number, "mã số BHXH"); e.g. "DN4790123456789";
//   - the 10-digit social insurance number alone (cards since 4/2021 are looked up by it);
//   - the 12-digit personal ID (CCCD number), which replaces it since 2025.
// Pure and fuzzable like cccd.hpp.
#include "kiosk/core/identity.hpp"

#include <string>
#include <string_view>

namespace kiosk::core {

enum class BhytForm { CardCode15, SocialInsurance10, PersonalId12 };

struct BhytNumber {
    BhytForm form = BhytForm::CardCode15;
    std::string code;             // normalised: upper case, no separators; what is stored and sent
    std::string group;            // "DN" (CardCode15 only)
    int benefit_level = 0;        // 1-5 (CardCode15 only)
    std::string province_code;    // "79" (CardCode15 only)
    std::string social_insurance; // the 10 digits (CardCode15 and SocialInsurance10)

    friend bool operator==(const BhytNumber&, const BhytNumber&) = default;
};

// Validates a typed or scanned BHYT number; spaces, dots and dashes are ignored, letters are upper-cased.
// A 12-digit input is validated as a CCCD number (parse_cccd_number) and fails with its problem.
[[nodiscard]] IdResult<BhytNumber> parse_bhyt_number(std::string_view text, int current_year);

} // namespace kiosk::core
