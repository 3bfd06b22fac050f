#pragma once
// For the adapter tests that build outbox rows: each row read back into its record as the sync does
// (store::decode_outbox_record), then handed to the FHIR adapter, so the row-to-FHIR contract stays tested.
#include "kiosk/his/fhir_mapping.hpp"
#include "kiosk/store/outbox_records.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiosk::test {

inline std::vector<core::OutboundRecord> records(const std::vector<store::OutboxEntry>& rows) {
    std::vector<core::OutboundRecord> out;
    for (const auto& row : rows) {
        std::string why;
        auto r = store::decode_outbox_record(row, why);
        if (!r) throw std::invalid_argument("unreadable outbox row in a test: " + why);
        out.push_back(std::move(*r));
    }
    return out;
}

// decode_outbox_record, then his::to_fhir; nullopt (with `why`) when either refuses the row.
inline std::optional<his::FhirWrite> to_fhir(const store::OutboxEntry& row,
                                             const std::string& identifier_base, std::string& why) {
    const auto r = store::decode_outbox_record(row, why);
    if (!r) return std::nullopt;
    return his::to_fhir(*r, identifier_base, why);
}

} // namespace kiosk::test
