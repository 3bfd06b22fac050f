#pragma once
#include "kiosk/core/outbound.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::his {

// The port the kiosk uses to reach the hospital information system (HIS). FhirHis implements it over
// HL7 FHIR R4; tests use fakes.
enum class Delivery {
    // Success only with proof: a 2xx whose body is the resource of the right type with an id, or whose
    // Location names one. Any other 2xx (truncated JSON, an OperationOutcome, another resource type, a
    // proxy's HTML page) is RetryLater: the record stays in the outbox.
    Accepted,      // the HIS stored the record now
    AlreadyExists, // the HIS had it already (an earlier attempt whose reply was lost): also success
    RetryLater,    // network down, timeout, 5xx, 429: keep it and try again with backoff
    Rejected,      // the HIS refuses this record (4xx): quarantine it for staff, never retry blindly
    Conflict,      // 409/412: someone else changed the same thing; staff and patient must be told
};

struct DeliveryResult {
    Delivery outcome = Delivery::RetryLater;
    std::string detail; // the server's words (OperationOutcome text) or the transport error, for staff
    std::optional<std::chrono::seconds> retry_after; // from a Retry-After header
    bool unreachable = false; // no HTTP answer at all (network, DNS, TLS, timeout): the HIS is offline
    long http_status = 0;     // the HTTP status the answer came with (0: none, or not known)
    // Accepted/AlreadyExists: the record as the HIS holds it, "<type>/<HIS id>" (e.g. "Patient/123"), read
    // from the returned resource or its Location. Records that refer to this one use it.
    std::string resource = {};
};

class HisPort {
public:
    virtual ~HisPort() = default;
    // Delivers the records idempotently (keyed on each record's identifier); one result per record, in order.
    virtual std::vector<DeliveryResult> deliver(const std::vector<core::OutboundRecord>& records) = 0;
};

} // namespace kiosk::his
